// Interpreter: runs one VM thread for one slice (VM layer, pvm.md §2).
// The thread's frames and its three stacks are arena objects; while a slice runs their tops are kept
// in host registers and written back whenever the slice ends or anything may look at them (a native,
// a nested call, a collection, a safepoint). A frame's saved IP is always an instruction boundary:
// the next instruction, or the current one when it must run again (a blocked native, pvm.md §5.4).
//
// Errors: what a correct program can cause (a null receiver, a bad index, division by zero, a failed
// cast) is thrown as a Phantom exception (a string), so the program can catch it. Code that is
// malformed in a way the loader could not see (stack underflow, running off the end of a method)
// stops only this VM thread, with a diagnostic (docs/compatibility.md lists each choice).
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>

#include "classfile/opcodes.h"
#include "vm/internal_classes.h"
#include "vm/vm.h"

namespace phantom::vm {
namespace {

constexpr std::uint32_t max_frames = 200'000;
constexpr std::uint32_t max_stack_cells = 16u << 20;

inline std::int32_t be32(const std::uint8_t* p) {
  return static_cast<std::int32_t>((std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3]);
}
inline std::int64_t be64(const std::uint8_t* p) {
  return static_cast<std::int64_t>((std::uint64_t(static_cast<std::uint32_t>(be32(p))) << 32) |
                                   static_cast<std::uint32_t>(be32(p + 4)));
}
// C truncation toward zero, with the x86 answer (the most negative value) where C leaves it undefined.
inline std::int32_t to_i32(double v) {
  return (v > -2147483649.0 && v < 2147483648.0) ? static_cast<std::int32_t>(v) : INT32_MIN;
}
inline std::int64_t to_i64(double v) {
  return (v >= -9223372036854775808.0 && v < 9223372036854775808.0) ? static_cast<std::int64_t>(v) : INT64_MIN;
}
// The arithmetic of superinstruction K (quicken.h's order), with the unfused instructions' semantics:
// 32-bit wrap, signed comparisons giving 0 or 1, C remainder and division (never by 0 or -1 here).
template <int K>
inline std::int32_t arith(std::int32_t l, std::int32_t u) {
  auto L = static_cast<std::uint32_t>(l), U = static_cast<std::uint32_t>(u);
  if constexpr (K == 0) return static_cast<std::int32_t>(L + U);
  else if constexpr (K == 1) return static_cast<std::int32_t>(L - U);
  else if constexpr (K == 2) return static_cast<std::int32_t>(L * U);
  else if constexpr (K == 3) return static_cast<std::int32_t>(L & U);
  else if constexpr (K == 4) return static_cast<std::int32_t>(L | U);
  else if constexpr (K == 5) return static_cast<std::int32_t>(L ^ U);
  else if constexpr (K == 6) return l < u;
  else if constexpr (K == 7) return l > u;
  else if constexpr (K == 8) return l <= u;
  else if constexpr (K == 9) return l >= u;
  else if constexpr (K == 10) return l % u;
  else return l / u;
}
inline float bits_f(std::int32_t b) { float f; std::memcpy(&f, &b, 4); return f; }
inline std::int32_t f_bits(float f) { std::int32_t b; std::memcpy(&b, &f, 4); return b; }
inline double bits_d(std::int64_t b) { double d; std::memcpy(&d, &b, 8); return d; }
inline std::int64_t d_bits(double d) { std::int64_t b; std::memcpy(&b, &d, 8); return b; }

}  // namespace

Native Vm::native_for(Ref target, std::uint32_t index, std::string& error) const {
  std::int32_t id = class_data(class_of(target))->sys_table_id;
  if (id >= 0) {
    if (index < natives_[id].size()) return natives_[id][index];
    error = fmt::format("class {} has no native method {}", class_name(class_of(target)), index);
    return nullptr;
  }
  // B14: ordinary objects get the root class's behaviour for ordinals 0..15.
  if (index < 16) return natives_[cid_void][index];
  error = fmt::format("class {} does not define method {}", class_name(class_of(target)), index);
  return nullptr;
}

Ref Vm::string_plus_int(Ref head, std::int32_t v) {
  char digits[12];
  auto end = std::to_chars(digits, digits + sizeof digits, v).ptr;
  std::string_view text = string_of(head);
  auto n = static_cast<std::uint32_t>(end - digits);
  if (text.size() > UINT32_MAX - 64 - n) [[unlikely]] return raw_null;
  Ref joined = new_string_uninitialized(static_cast<std::uint32_t>(text.size()) + n);  // may throw: nothing changed
  char* out = heap_.as<StringData>(joined)->bytes;
  std::memcpy(out, text.data(), text.size());  // allocation moves nothing: text is still valid
  std::memcpy(out + text.size(), digits, n);
  return joined;
}

SliceOutcome Vm::run_slice(Ref thread, std::int64_t budget) {
  ThreadData* td = thread_data(thread);
  current_ = thread;

  // ---- registers ----
  // GCC spills even the stack and instruction pointers in a function this large; on x86-64 the five
  // hottest registers are pinned to callee-saved ones (a GNU extension; fib ran 5-8% faster with them).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define PINNED(type, name, reg) register type name asm(reg)
#else
#define PINNED(type, name, reg) type name
#endif
  Frame* frames = heap_.as<Frame>(td->frames);
  Frame* frames_end = frames + heap_.hdr(td->frames)->size / sizeof(Frame);
  PINNED(Frame*, fp, "r12") = frames + td->frame_count - 1;
  Ref* os = heap_.as<Ref>(td->os);
  Ref* os_end = os + heap_.hdr(td->os)->size / sizeof(Ref);
  PINNED(Ref*, sp, "r14") = os + td->os_top;
  std::int32_t* is = heap_.as<std::int32_t>(td->is);
  std::int32_t* is_end = is + heap_.hdr(td->is)->size / 4;
  PINNED(std::int32_t*, isp, "r13") = is + td->is_top;
  const std::uint8_t* code = quick_.code(fp->code, heap_.as<CodeData>(fp->code));
  PINNED(const std::uint8_t*, pc, "r15") = code + fp->ip;
  PINNED(const std::uint8_t*, insn, "rbx") = pc;
#undef PINNED
  Ref self = fp->self;
  Ref* os_lo = os + fp->os_base;
  std::int32_t* is_lo = is + fp->is_base;
  std::string error_text;
  Ref thrown = raw_null;

  // The registers are plain locals, never captured by reference, so that they can live in machine
  // registers; save() and enter_frame() are macros for that reason.
#define save(at)                                                         \
  do {                                                                   \
    fp->ip = static_cast<std::uint32_t>((at) - code);                     \
    td->frame_count = static_cast<std::uint32_t>(fp - frames + 1);        \
    td->os_top = static_cast<std::uint32_t>(sp - os);                     \
    td->is_top = static_cast<std::uint32_t>(isp - is);                    \
  } while (0)
#define enter_frame()                                                    \
  do {                                                                   \
    code = quick_.code(fp->code, heap_.as<CodeData>(fp->code));         \
    pc = code + fp->ip;                                                  \
    self = fp->self;                                                     \
    os_lo = os + fp->os_base;                                            \
    is_lo = is + fp->is_base;                                            \
  } while (0)
  // Grows one of the thread's regions to hold `more` further elements; every pointer into it moves.
  // The frame region never grows beyond max_frames, so a call that finds room without growing it (a
  // cached call site) stays within the limit too. (A small edit here moved fib by 10%: GCC allocates
  // run_slice's registers anew with every change; measure after touching it.)
  auto grow = [this](Ref& region, std::size_t used, std::size_t elem, std::size_t more, ClassId cls) -> std::byte* {
    std::size_t cap = heap_.hdr(region)->size / elem;
    std::size_t want = std::max<std::size_t>(cap * 2, used + more + 16);
    if (cls == cid_call_frame) want = std::min<std::size_t>(want, max_frames);
    if (want * elem > std::size_t(max_stack_cells) * 4) return nullptr;
    Ref bigger = alloc(internal_[cls], internal_class_info(cls).instance_flags, Kind::bytes, static_cast<std::uint32_t>(want * elem));
    std::memcpy(heap_.data(bigger), heap_.data(region), used * elem);
    region = bigger;
    return heap_.data(bigger);
  };

#define FATAL(...)                               \
  do {                                           \
    error_text = fmt::format(__VA_ARGS__);       \
    goto fatal;                                  \
  } while (0)
#define THROW(...)                               \
  do {                                           \
    error_text = fmt::format(__VA_ARGS__);       \
    goto throw_text;                             \
  } while (0)
#define OS_NEED(n) \
  if (sp - os_lo < static_cast<std::ptrdiff_t>(n)) [[unlikely]] FATAL("object stack underflow ({} needed, {} there)", (n), sp - os_lo)
#define IS_NEED(n) \
  if (isp - is_lo < static_cast<std::ptrdiff_t>(n)) [[unlikely]] FATAL("integer stack underflow ({} needed, {} there)", (n), isp - is_lo)
#define OS_ROOM(n)                                                                                   \
  if (os_end - sp < static_cast<std::ptrdiff_t>(n)) [[unlikely]] {                                   \
    std::size_t used_ = sp - os, lo_ = os_lo - os;                                                   \
    std::byte* p_ = grow(td->os, used_, sizeof(Ref), (n), cid_ostack);                              \
    if (!p_) THROW("stack overflow: the object stack of this thread is full");                       \
    os = reinterpret_cast<Ref*>(p_);                                                                 \
    os_end = os + heap_.hdr(td->os)->size / sizeof(Ref);                                             \
    sp = os + used_;                                                                                 \
    os_lo = os + lo_;                                                                                \
  }
#define IS_ROOM(n)                                                                                   \
  if (is_end - isp < static_cast<std::ptrdiff_t>(n)) [[unlikely]] {                                  \
    std::size_t used_ = isp - is, lo_ = is_lo - is;                                                  \
    std::byte* p_ = grow(td->is, used_, 4, (n), cid_istack);                                         \
    if (!p_) THROW("stack overflow: the integer stack of this thread is full");                      \
    is = reinterpret_cast<std::int32_t*>(p_);                                                        \
    is_end = is + heap_.hdr(td->is)->size / 4;                                                       \
    isp = is + used_;                                                                                \
    is_lo = is + lo_;                                                                                \
  }
#define FRAME_ROOM()                                                                                 \
  if (fp + 1 == frames_end) [[unlikely]] {                                                           \
    std::size_t depth_ = fp - frames;                                                                \
    if (depth_ + 1 >= max_frames) THROW("stack overflow: {} nested calls", max_frames);             \
    std::byte* p_ = grow(td->frames, depth_ + 1, sizeof(Frame), 1, cid_call_frame);                  \
    if (!p_) THROW("stack overflow: {} nested calls", depth_);                                       \
    frames = reinterpret_cast<Frame*>(p_);                                                           \
    frames_end = frames + heap_.hdr(td->frames)->size / sizeof(Frame);                               \
    fp = frames + depth_;                                                                            \
  }
// A non-virtual call: the arguments stay where they are and the result replaces the first of them.
#define ENTER_AT_ARGUMENTS(after, nargs)                                                       \
  do {                                                                                        \
    fp->ip = static_cast<std::uint32_t>((after) - code);                                      \
    Frame* nf_ = fp + 1;                                                                      \
    nf_->os_base = static_cast<std::uint32_t>(sp - os) - (nargs);                             \
    nf_->ret_slot = nf_->os_base;                                                             \
    nf_->is_base = static_cast<std::uint32_t>(isp - is);                                      \
    nf_->es_base = td->es_top;                                                                \
    nf_->flags = 0;                                                                           \
    nf_->code = callee;                                                                       \
    nf_->self = target;                                                                       \
    nf_->ip = 0;                                                                              \
    fp = nf_;                                                                                 \
    *isp++ = static_cast<std::int32_t>(nargs);                                                \
    enter_frame();                                                                            \
    if (--budget <= 0 || gc_requested_ || stop_requested_.load(std::memory_order_relaxed)) [[unlikely]] goto yield; \
    DISPATCH();                                                                               \
  } while (0)
#define PUSH_L(v)                                      \
  do {                                                 \
    std::int64_t v_ = (v);                             \
    isp[0] = static_cast<std::int32_t>(v_ >> 32);       \
    isp[1] = static_cast<std::int32_t>(v_);             \
    isp += 2;                                          \
  } while (0)
#define POP_L() (isp -= 2, static_cast<std::int64_t>((std::uint64_t(std::uint32_t(isp[0])) << 32) | std::uint32_t(isp[1])))
#define NORMAL(r) ((r) == raw_null ? null_object_ : (r))
#define DISPATCH()            \
  do {                        \
    insn = pc;                \
    goto* table[*pc];         \
  } while (0)
#define JUMP_TO(target)                                              \
  do {                                                               \
    const std::uint8_t* t_ = (target);                               \
    pc = t_;                                                         \
    if (t_ <= insn && (--budget <= 0 || gc_requested_ || stop_requested_.load(std::memory_order_relaxed))) [[unlikely]] goto yield;        \
    DISPATCH();                                                      \
  } while (0)

  // Filled once, on the first slice: label addresses exist only inside this function. Acquire and
  // release, and a lock for the filling, so that a second host thread never sees a half-filled table
  // (x86 would forgive a plain flag; aarch64 would not).
  static void* table[256];
  static std::atomic<bool> table_ready{false};
  static std::mutex table_fill;
  if (!table_ready.load(std::memory_order_acquire)) {
    std::lock_guard<std::mutex> filling(table_fill);
    if (!table_ready.load(std::memory_order_relaxed)) {
      for (auto& entry : table) entry = &&op_invalid;
      table[0x00] = &&op_nop; table[0x01] = &&op_debug; table[0x04] = &&op_djnz; table[0x05] = &&op_jz;
      table[0x06] = &&op_jmp; table[0x07] = &&op_switch; table[0x08] = &&op_ret;
      table[0x09] = &&op_short_call; table[0x0A] = &&op_short_call; table[0x0B] = &&op_short_call; table[0x0C] = &&op_short_call;
      table[0x0D] = &&op_call_8bit; table[0x0E] = &&op_call_32bit; table[0x0F] = &&op_sys;
      table[0x10] = &&op_is_dup; table[0x11] = &&op_is_drop; table[0x12] = &&op_os_dup; table[0x13] = &&op_os_drop;
      table[0x14] = &&op_os_load8; table[0x15] = &&op_os_save8; table[0x16] = &&op_os_load32; table[0x17] = &&op_os_save32;
      table[0x18] = &&op_new; table[0x1C] = &&op_os_pull32; table[0x1E] = &&op_os_get32; table[0x1F] = &&op_os_set32;
      table[0x20] = &&op_iconst_0; table[0x21] = &&op_iconst_1; table[0x22] = &&op_iconst_8bit; table[0x23] = &&op_iconst_32bit;
      table[0x24] = &&op_sconst_bin; table[0x25] = &&op_iconst_64bit; table[0x26] = &&op_is_get32; table[0x27] = &&op_is_set32;
      table[0x28] = &&op_const_pool; table[0x29] = &&op_stack_reserve; table[0x2B] = &&op_cast;
      table[0x2D] = &&op_push_catcher; table[0x2E] = &&op_pop_catcher; table[0x2F] = &&op_throw;
      table[0x30] = &&op_summon_thread; table[0x31] = &&op_summon_this; table[0x37] = &&op_summon_null;
      for (int i = 0x38; i <= 0x3D; ++i) table[i] = &&op_summon_class;
      table[0x3F] = &&op_summon_by_name;
      table[0x40] = &&op_i2o; table[0x41] = &&op_o2i;
      for (int i = 0x42; i <= 0x4F; ++i) table[i] = &&op_int_math;
      // The frequent binary operations get a handler each (no second dispatch on the opcode).
      table[0x42] = &&op_isum; table[0x43] = &&op_imul; table[0x44] = &&op_isubul; table[0x45] = &&op_isublu;
      table[0x48] = &&op_ior; table[0x49] = &&op_iand; table[0x4A] = &&op_ixor;
      table[0x50] = &&op_is_load8; table[0x51] = &&op_is_save8;
      for (int i = 0x52; i <= 0x57; ++i) table[i] = &&op_int_math;
      table[0x52] = &&op_ige; table[0x53] = &&op_ile; table[0x54] = &&op_igt; table[0x55] = &&op_ilt;
      table[0x58] = &&op_os_eq; table[0x59] = &&op_os_neq; table[0x5A] = &&op_os_isnull;
      table[0x5C] = &&op_prefix; table[0x5D] = &&op_prefix; table[0x5E] = &&op_prefix;
      table[0x62] = &&op_general_lock; table[0x63] = &&op_general_lock;
      table[0x6E] = &&op_static_invoke; table[0x6F] = &&op_dynamic_invoke;
      table[0x70] = &&op_int_math; table[0x71] = &&op_int_math; table[0x72] = &&op_int_math;
      table[0x73] = &&op_arg_count;
      for (int i = 0x74; i <= 0x77; ++i) table[i] = &&op_int_math;
      for (int i = 0xA0; i <= 0xBF; ++i) table[i] = &&op_call_xx;
      table[end_of_code] = &&op_end_of_code;
      // Superinstructions, which appear only in quickened copies (quicken.h).
      void* const local_local[arith_total] = {&&q_ll_0, &&q_ll_1, &&q_ll_2, &&q_ll_3, &&q_ll_4, &&q_ll_5, &&q_ll_6, &&q_ll_7, &&q_ll_8, &&q_ll_9};
      void* const constant[arith_count] = {&&q_c_0, &&q_c_1, &&q_c_2, &&q_c_3, &&q_c_4, &&q_c_5, &&q_c_6, &&q_c_7, &&q_c_8, &&q_c_9, &&q_c_10, &&q_c_11};
      for (int k = 0; k < arith_total; ++k) table[q_local_local + k] = local_local[k];
      for (int k = 0; k < arith_count; ++k) table[q_const + k] = constant[k];
      table[q_local_const_set + 0] = &&q_lcs_0; table[q_local_const_set + 1] = &&q_lcs_1; table[q_local_const_set + 2] = &&q_lcs_2;
      table[q_local_const_jz + 0] = &&q_lcj_6; table[q_local_const_jz + 1] = &&q_lcj_7;
      table[q_local_const_jz + 2] = &&q_lcj_8; table[q_local_const_jz + 3] = &&q_lcj_9;
      table[q_compare_jz + 0] = &&q_cj_6; table[q_compare_jz + 1] = &&q_cj_7;
      table[q_compare_jz + 2] = &&q_cj_8; table[q_compare_jz + 3] = &&q_cj_9;
      void* const object_constant[arith_count] = {&&q_oc_0, &&q_oc_1, &&q_oc_2, &&q_oc_3, &&q_oc_4, &&q_oc_5, &&q_oc_6, &&q_oc_7, &&q_oc_8, &&q_oc_9, &&q_oc_10, &&q_oc_11};
      for (int k = 0; k < arith_count; ++k) table[q_object_const + k] = object_constant[k];
      table[q_object_const_jz + 0] = &&q_ocj_6; table[q_object_const_jz + 1] = &&q_ocj_7;
      table[q_object_const_jz + 2] = &&q_ocj_8; table[q_object_const_jz + 3] = &&q_ocj_9;
      table[q_call] = &&q_call;
      table[q_local_ret] = &&q_local_ret;
      table[q_arith_box_ret + 0] = &&q_abr_0; table[q_arith_box_ret + 1] = &&q_abr_1; table[q_arith_box_ret + 2] = &&q_abr_2;
      table[q_this_object_const_call + 0] = &&q_tocc_0; table[q_this_object_const_call + 1] = &&q_tocc_1;
      table[q_this_object_const_call + 2] = &&q_tocc_2;
      table[q_box_tostring_concat] = &&q_box_tostring_concat;
      table[q_cast_int] = &&q_cast_int;
      table[q_object_const_box_ret + 0] = &&q_ocbr_0; table[q_object_const_box_ret + 1] = &&q_ocbr_1;
      table[q_object_const_box_ret + 2] = &&q_ocbr_2;
      table[q_object_int_call] = &&q_object_int_call;
      table[q_local_box_call] = &&q_local_box_call;
      table[q_local_tostring_concat] = &&q_local_tostring_concat;
      table[q_local_local_jz + 0] = &&q_llj_6; table[q_local_local_jz + 1] = &&q_llj_7;
      table[q_local_local_jz + 2] = &&q_llj_8; table[q_local_local_jz + 3] = &&q_llj_9;
      void* const constant_set[arith_count] = {&&q_cs_0, &&q_cs_1, &&q_cs_2, &&q_cs_3, &&q_cs_4, &&q_cs_5, &&q_cs_6, &&q_cs_7, &&q_cs_8, &&q_cs_9, &&q_cs_10, &&q_cs_11};
      for (int k = 0; k < arith_count; ++k) table[q_const_set + k] = constant_set[k];
      table[q_jump_local_const_jz + 0] = &&q_jlcj_6; table[q_jump_local_const_jz + 1] = &&q_jlcj_7;
      table[q_jump_local_const_jz + 2] = &&q_jlcj_8; table[q_jump_local_const_jz + 3] = &&q_jlcj_9;
      table[q_jump_local_local_jz + 0] = &&q_jllj_6; table[q_jump_local_local_jz + 1] = &&q_jllj_7;
      table[q_jump_local_local_jz + 2] = &&q_jllj_8; table[q_jump_local_local_jz + 3] = &&q_jllj_9;
      table[q_box_call] = &&q_box_call; table[q_box_ret] = &&q_box_ret; table[q_unbox_set] = &&q_unbox_set;
      table_ready.store(true, std::memory_order_release);
    }
  }

  try {
    DISPATCH();

  op_nop:
    ++pc;
    DISPATCH();

  op_debug: {
    int mode = pc[1];
    std::int32_t len = (mode & 0x80) ? be32(pc + 2) : 0;
    std::string_view text(reinterpret_cast<const char*>(pc + 6), (mode & 0x80) ? static_cast<std::size_t>(len) : 0);
    {  // strings die before the dispatch: an indirect goto may not leave their scope
      std::string top = isp > is_lo ? fmt::format("{}", isp[-1]) : std::string("empty");
      console_.write_diagnostic(fmt::format("phantom: debug 0x{:02X} {}: is top {}, os depth {}\n", mode, text, top, sp - os_lo));
    }
    pc = (mode & 0x80) ? pc + 6 + len : pc + 2;
    DISPATCH();
  }
  op_djnz: {
    IS_NEED(1);
    const std::uint8_t* target = pc + 1 + be32(pc + 1);
    pc += 5;
    isp[-1] = static_cast<std::int32_t>(static_cast<std::uint32_t>(isp[-1]) - 1u);  // wraps, like isum
    if (isp[-1] != 0) JUMP_TO(target);
    DISPATCH();
  }
  op_jz: {
    IS_NEED(1);
    const std::uint8_t* target = pc + 1 + be32(pc + 1);
    pc += 5;
    if (*--isp == 0) JUMP_TO(target);
    DISPATCH();
  }
  op_jmp:
    JUMP_TO(pc + 1 + be32(pc + 1));
  op_switch: {
    IS_NEED(1);
    std::uint32_t n = static_cast<std::uint32_t>(be32(pc + 1));
    std::int32_t shift = be32(pc + 5);
    std::uint32_t div = static_cast<std::uint32_t>(be32(pc + 9));
    std::uint32_t idx = (static_cast<std::uint32_t>(*--isp) + static_cast<std::uint32_t>(shift)) / div;
    const std::uint8_t* entries = pc + 13;
    pc = entries + 4 * std::size_t(n);
    if (idx < n) JUMP_TO(entries + 4 * idx + be32(entries + 4 * idx));
    DISPATCH();
  }

  op_ret: {
    Ref value = sp > os_lo ? *--sp : null_object_;
    if (fp == frames) {
      sp = os_lo;
      save(pc);
      set_ref(td->result, value);
      current_ = raw_null;
      return SliceOutcome::finished;
    }
    Ref* dst = os + fp->ret_slot;
    isp = is + fp->is_base;
    td->es_top = fp->es_base;
    --fp;
    enter_frame();
    if (*pc == classfile::op_o2i && isp != is_end && is_int(value)) {
      // The caller unboxes the result at once (an int method): done here, one dispatch less.
      *isp++ = int_of(value);
      sp = dst;
      ++pc;
      DISPATCH();
    }
    *dst = value;
    sp = dst + 1;
    DISPATCH();
  }

#include "vm/call_instructions.inc"  // calls, static_invoke, dynamic_invoke, sys

  // ---- object stack, fields, locals ----
  op_os_dup:
    OS_NEED(1);
    OS_ROOM(1);
    *sp = sp[-1];
    ++sp;
    ++pc;
    DISPATCH();
  op_os_drop:
    OS_NEED(1);
    --sp;
    ++pc;
    DISPATCH();
  op_os_pull32: {
    std::int32_t d = be32(pc + 1);
    if (d < 0 || sp - os_lo < std::int64_t(d) + 1) FATAL("os_pull32 {}: the object stack holds {}", d, sp - os_lo);
    OS_ROOM(1);
    *sp = sp[-1 - d];
    ++sp;
    pc += 5;
    DISPATCH();
  }
  op_os_get32: {
    std::int32_t p = be32(pc + 1);
    if (p < 0 || p >= sp - os_lo) FATAL("os_get32 {}: the object stack holds {}", p, sp - os_lo);
    if (pc[5] == classfile::op_o2i && is_int(os_lo[p])) {
      // The compiler's "read an int variable" pair, fused: the same effect, one dispatch. Any
      // failing case takes the two instructions one by one, so errors are reported as before.
      IS_ROOM(1);
      *isp++ = int_of(os_lo[p]);
      pc += 6;
      DISPATCH();
    }
    OS_ROOM(1);
    *sp = os_lo[p];
    ++sp;
    pc += 5;
    DISPATCH();
  }
  op_os_set32: {
    std::int32_t p = be32(pc + 1);
    OS_NEED(1);
    if (p < 0 || p >= sp - os_lo - 1) FATAL("os_set32 {}: the object stack holds {}", p, sp - os_lo - 1);
    os_lo[p] = *--sp;
    pc += 5;
    DISPATCH();
  }
  {
    std::uint32_t field;
    std::uint32_t length;
  op_os_load8:
    field = pc[1]; length = 2;
    goto os_load;
  op_os_load32:
    field = static_cast<std::uint32_t>(be32(pc + 1)); length = 5;
  os_load: {
    Ref value;
    Ref target = NORMAL(self);
    const ObjectHeader* h = header_of(target);
    if (kind_of(h) == Kind::refs && h->klass != internal_[cid_void]) {
      if (field >= h->size / sizeof(Ref)) THROW("field {} of a {}: it has {} fields", field, class_name(h->klass), h->size / sizeof(Ref));
      value = NORMAL(heap_.as<Ref>(target)[field]);
    } else if (kind_of(h) == Kind::array) {
      if (field >= array_size(target)) THROW("array get - index is out of bounds");
      value = array_get(target, field);
    } else {
      THROW("cannot load field {} of internal object {}", field, class_name(h->klass));
    }
    OS_ROOM(1);
    *sp++ = value;
    pc += length;
    DISPATCH();
  }
  op_os_save8:
    field = pc[1]; length = 2;
    goto os_save;
  op_os_save32:
    field = static_cast<std::uint32_t>(be32(pc + 1)); length = 5;
  os_save: {
    OS_NEED(1);
    Ref target = NORMAL(self);
    const ObjectHeader* h = header_of(target);
    if (h->flags & flag_immutable) THROW("cannot store into immutable object of class {}", class_name(h->klass));
    if (kind_of(h) == Kind::refs && h->klass != internal_[cid_void]) {
      if (field >= h->size / sizeof(Ref)) THROW("field {} of a {}: it has {} fields", field, class_name(h->klass), h->size / sizeof(Ref));
      set_ref(heap_.as<Ref>(target)[field], sp[-1]);
    } else if (kind_of(h) == Kind::array) {
      array_set(target, field, sp[-1]);
    } else {
      THROW("cannot store field {} of internal object {}", field, class_name(h->klass));
    }
    --sp;
    pc += length;
    DISPATCH();
  }
  }
  op_is_load8: {
    Ref target = NORMAL(self);
    const ObjectHeader* h = header_of(target);
    std::uint32_t field = pc[1];
    if (kind_of(h) != Kind::refs || h->klass == internal_[cid_void] || field >= h->size / sizeof(Ref))
      THROW("is_load8 {}: no such field in a {}", field, class_name(h->klass));
    Ref v = heap_.as<Ref>(target)[field];
    if (!is_int(v)) THROW("is_load8 {}: the field does not hold an int", field);
    IS_ROOM(1);
    *isp++ = int_of(v);
    pc += 2;
    DISPATCH();
  }
  op_is_save8: {
    IS_NEED(1);
    Ref target = NORMAL(self);
    const ObjectHeader* h = header_of(target);
    std::uint32_t field = pc[1];
    if (kind_of(h) != Kind::refs || h->klass == internal_[cid_void] || field >= h->size / sizeof(Ref))
      THROW("is_save8 {}: no such field in a {}", field, class_name(h->klass));
    if (h->flags & flag_immutable) THROW("cannot store into immutable object of class {}", class_name(h->klass));
    Ref boxed = new_int(isp[-1]);
    set_ref(heap_.as<Ref>(target)[field], boxed);
    --isp;
    pc += 2;
    DISPATCH();
  }

  // ---- integer stack ----
  op_is_dup:
    IS_NEED(1);
    IS_ROOM(1);
    *isp = isp[-1];
    ++isp;
    ++pc;
    DISPATCH();
  op_is_drop:
    IS_NEED(1);
    --isp;
    ++pc;
    DISPATCH();
  op_is_get32: {
    std::int32_t p = be32(pc + 1);
    if (p < 0 || p >= isp - is_lo) FATAL("is_get32 {}: the integer stack holds {}", p, isp - is_lo);
    IS_ROOM(1);
    *isp = is_lo[p];
    ++isp;
    pc += 5;
    DISPATCH();
  }
  op_is_set32: {
    std::int32_t p = be32(pc + 1);
    IS_NEED(1);
    if (p < 0 || p >= isp - is_lo - 1) FATAL("is_set32 {}: the integer stack holds {}", p, isp - is_lo - 1);
    is_lo[p] = *--isp;
    pc += 5;
    DISPATCH();
  }
  op_iconst_0:
    IS_ROOM(1);
    *isp++ = 0;
    ++pc;
    DISPATCH();
  op_iconst_1:
    IS_ROOM(1);
    *isp++ = 1;
    ++pc;
    DISPATCH();
  op_iconst_8bit:
    IS_ROOM(1);
    *isp++ = pc[1];
    pc += 2;
    DISPATCH();
  op_iconst_32bit:
    IS_ROOM(1);
    *isp++ = be32(pc + 1);
    pc += 5;
    DISPATCH();
  op_iconst_64bit:
    IS_ROOM(2);
    PUSH_L(be64(pc + 1));
    pc += 9;
    DISPATCH();
  op_sconst_bin: {
    std::int32_t len = be32(pc + 1);
    OS_ROOM(1);
    Ref s = new_string(std::string_view(reinterpret_cast<const char*>(pc + 5), static_cast<std::size_t>(len)));
    *sp++ = s;
    pc += 5 + len;
    DISPATCH();
  }
  op_const_pool: {
    std::int32_t id = be32(pc + 1);
    Ref owner = heap_.as<CodeData>(fp->code)->owner;  // B6: the class that supplied this code
    Ref pool = class_data(owner)->const_pool;
    if (pool == raw_null || id < 0 || static_cast<std::uint32_t>(id) >= page_slots(pool) || is_null(page_refs(pool)[id]))
      THROW("const_pool: class {} has no constant {}", class_name(owner), id);
    OS_ROOM(1);
    *sp++ = page_refs(pool)[id];
    pc += 5;
    DISPATCH();
  }
  op_stack_reserve: {
    std::uint32_t nobj = pc[1], nint = pc[2];
    OS_ROOM(nobj);
    IS_ROOM(nint);
    for (std::uint32_t i = 0; i < nobj; ++i) *sp++ = null_object_;  // B10: one null
    for (std::uint32_t i = 0; i < nint; ++i) *isp++ = 0;
    pc += 3;
    DISPATCH();
  }
  op_new: {
    OS_NEED(1);
    Ref cls = sp[-1];
    if (cls == raw_null || class_of(cls) != internal_[cid_class]) THROW("new: the operand is not a class");
    sp[-1] = new_instance(cls);
    ++pc;
    DISPATCH();
  }
  op_cast: {
    OS_NEED(2);
    Ref cls = sp[-1];
    Ref obj = sp[-2];
    if (!is_or_child(obj, cls))
      THROW("cast to not parent: a {} is not a {}", is_null(obj) ? std::string("null") : class_name(class_of(obj)),
            cls != raw_null && class_of(cls) == internal_[cid_class] ? class_name(cls) : std::string("class"));
    --sp;
    ++pc;
    DISPATCH();
  }
  op_push_catcher: {
    OS_NEED(1);
    std::uint32_t target = static_cast<std::uint32_t>(pc + 1 - code + be32(pc + 1));
    Ref cls = sp[-1];
    std::size_t cap = heap_.hdr(td->es)->size / sizeof(Catcher);
    if (td->es_top == cap) {
      if (!grow(td->es, td->es_top, sizeof(Catcher), 1, cid_estack)) THROW("stack overflow: too many catchers");
    }
    heap_.as<Catcher>(td->es)[td->es_top++] = Catcher{cls, target};
    --sp;
    pc += 5;
    DISPATCH();
  }
  op_pop_catcher:
    if (td->es_top <= fp->es_base) FATAL("pop_catcher: no catcher in this frame");
    --td->es_top;
    ++pc;
    DISPATCH();
  op_throw:
    OS_NEED(1);
    thrown = *--sp;
    goto unwind;

  op_summon_thread:
    OS_ROOM(1);
    *sp++ = thread;
    ++pc;
    DISPATCH();
  op_summon_this:
    OS_ROOM(1);
    *sp++ = NORMAL(self);
    ++pc;
    DISPATCH();
  op_summon_null:
    OS_ROOM(1);
    *sp++ = null_object_;
    ++pc;
    DISPATCH();
  op_summon_class: {
    static constexpr ClassId ids[] = {cid_class, cid_int, cid_string, cid_interface, cid_code, cid_array};
    OS_ROOM(1);
    *sp++ = internal_[ids[*pc - 0x38]];
    ++pc;
    DISPATCH();
  }
  op_summon_by_name: {
    std::int32_t len = be32(pc + 1);
    OS_ROOM(1);
    Ref cls;
    const std::uint8_t* site = pc;
    if (auto it = summon_cache_.find(site); it != summon_cache_.end()) {
      cls = it->second;
    } else {
      save(insn);
      auto found = lookup_class(std::string_view(reinterpret_cast<const char*>(pc + 5), static_cast<std::size_t>(len)));
      if (!found.ok()) THROW("summon by name: no class found: {}", found.error().message);
      cls = *found;
      if (nested_depth_ == 0) summon_cache_[site] = cls;
    }
    *sp++ = cls;
    pc += 5 + len;
    DISPATCH();
  }

  // ---- boxing ----
  op_i2o: {
    IS_NEED(1);
    OS_ROOM(1);
    Ref boxed = new_int(isp[-1]);
    --isp;
    *sp++ = boxed;
    ++pc;
    DISPATCH();
  }
  op_o2i: {
    OS_NEED(1);
    IS_ROOM(1);
    Ref obj = sp[-1];
    if (is_null(obj)) {
      *isp++ = 0;  // a number never stored (a fresh int field) reads as 0 (docs/compatibility.md)
    } else {
      if (!is_int(obj))  // B23: no reinterpretation of other classes
        THROW("type assert failed: o2i of a {}", class_name(class_of(obj)));
      *isp++ = int_of(obj);
    }
    --sp;
    ++pc;
    DISPATCH();
  }
  op_os_eq:
  op_os_neq: {
    OS_NEED(2);
    IS_ROOM(1);
    bool eq = NORMAL(sp[-1]) == NORMAL(sp[-2]);
    sp -= 2;
    *isp++ = (*pc == classfile::op_os_eq) == eq ? 1 : 0;
    ++pc;
    DISPATCH();
  }
  op_os_isnull: {
    OS_NEED(1);
    IS_ROOM(1);
    *isp++ = is_null(*--sp) ? 1 : 0;
    ++pc;
    DISPATCH();
  }
  op_general_lock:
    OS_NEED(1);
    --sp;
    ++pc;
    DISPATCH();
  op_arg_count: {
    IS_NEED(1);
    std::int32_t have = *--isp;
    if (have != pc[1]) THROW("invalid arg count: {} given, {} expected", have, pc[1]);
    pc += 2;
    DISPATCH();
  }

  // ---- 32-bit integer arithmetic (pvm.md §2.2.6); U = top, L = below ----
#define BINARY(label, expr)                       \
  label: {                                        \
    IS_NEED(2);                                   \
    std::uint32_t u = std::uint32_t(isp[-1]);     \
    std::uint32_t l = std::uint32_t(isp[-2]);     \
    (void)u;                                      \
    (void)l;                                      \
    --isp;                                        \
    isp[-1] = static_cast<std::int32_t>(expr);    \
    ++pc;                                         \
    DISPATCH();                                   \
  }
  BINARY(op_isum, l + u)
  BINARY(op_imul, l * u)
  BINARY(op_isubul, u - l)
  BINARY(op_isublu, l - u)
  BINARY(op_ior, l | u)
  BINARY(op_iand, l & u)
  BINARY(op_ixor, l ^ u)
  BINARY(op_ige, std::int32_t(l) >= std::int32_t(u))
  BINARY(op_ile, std::int32_t(l) <= std::int32_t(u))
  BINARY(op_igt, std::int32_t(l) > std::int32_t(u))
  BINARY(op_ilt, std::int32_t(l) < std::int32_t(u))
#undef BINARY

#include "vm/superinstructions.inc"  // the superinstruction handlers (quicken.h)
  op_int_math: {
    std::uint8_t op = *pc;
    if (op == classfile::op_inot || op == classfile::op_log_not || op == classfile::op_fromi || op == classfile::op_fromf) {
      IS_NEED(1);
      std::int32_t& v = isp[-1];
      if (op == classfile::op_inot) v = ~v;
      else if (op == classfile::op_log_not) v = v == 0;
      else if (op == classfile::op_fromf) v = to_i32(bits_f(v));
      ++pc;
      DISPATCH();
    }
    if (op == classfile::op_froml || op == classfile::op_fromd) {
      IS_NEED(2);
      std::int64_t v = POP_L();
      *isp++ = op == classfile::op_froml ? static_cast<std::int32_t>(v) : to_i32(bits_d(v));
      ++pc;
      DISPATCH();
    }
    IS_NEED(2);
    std::int32_t u = isp[-1], l = isp[-2];
    std::int32_t r;
    switch (op) {
      case classfile::op_isum: r = static_cast<std::int32_t>(std::uint32_t(l) + std::uint32_t(u)); break;
      case classfile::op_imul: r = static_cast<std::int32_t>(std::uint32_t(l) * std::uint32_t(u)); break;
      case classfile::op_isubul: r = static_cast<std::int32_t>(std::uint32_t(u) - std::uint32_t(l)); break;
      case classfile::op_isublu: r = static_cast<std::int32_t>(std::uint32_t(l) - std::uint32_t(u)); break;
      case classfile::op_idivul:
      case classfile::op_idivlu:
      case classfile::op_iremul:
      case classfile::op_iremlu: {
        bool upper_first = op == classfile::op_idivul || op == classfile::op_iremul;
        std::int32_t a = upper_first ? u : l, b = upper_first ? l : u;
        if (b == 0) THROW("division by zero");
        bool div = op == classfile::op_idivul || op == classfile::op_idivlu;
        if (b == -1) r = div ? static_cast<std::int32_t>(0u - std::uint32_t(a)) : 0;
        else r = div ? a / b : a % b;
        break;
      }
      case classfile::op_ior: r = l | u; break;
      case classfile::op_iand: r = l & u; break;
      case classfile::op_ixor: r = l ^ u; break;
      case classfile::op_log_or: r = (l != 0 || u != 0); break;
      case classfile::op_log_and: r = (l != 0 && u != 0); break;
      case classfile::op_log_xor: r = ((l != 0) != (u != 0)); break;
      case classfile::op_ige: r = l >= u; break;
      case classfile::op_ile: r = l <= u; break;
      case classfile::op_igt: r = l > u; break;
      case classfile::op_ilt: r = l < u; break;
      case classfile::op_ishl: r = static_cast<std::int32_t>(std::uint32_t(u) << (l & 31)); break;  // B7: value on top
      case classfile::op_ishr: r = u >> (l & 31); break;
      case classfile::op_ushr: r = static_cast<std::int32_t>(std::uint32_t(u) >> (l & 31)); break;
      default: FATAL("opcode 0x{:02X} has no integer form", op);
    }
    --isp;
    isp[-1] = r;
    ++pc;
    DISPATCH();
  }

#include "vm/typed_instructions.inc"  // the long, float and double forms (type prefixes)

  op_end_of_code:
    FATAL("ran off the end of the method");
  op_invalid:
    FATAL("invalid opcode 0x{:02X}", *pc);

  // ---- exceptions ----
  throw_text:
    thrown = new_string(error_text);
  unwind: {
    // Find the catcher first, so that an uncaught exception still has its frames for the backtrace.
    Frame* f = fp;
    std::uint32_t top = td->es_top;
    Catcher* es = heap_.as<Catcher>(td->es);
    for (;;) {
      for (std::uint32_t i = top; i > f->es_base; --i) {
        if (!is_or_child(thrown, es[i - 1].klass)) continue;
        // Unwind to frame f; B15: the catcher that fired and those above it are gone.
        while (fp != f) {
          sp = os + fp->ret_slot;
          isp = is + fp->is_base;
          --fp;
        }
        td->es_top = i - 1;
        enter_frame();
        pc = code + es[i - 1].target;
        OS_ROOM(1);
        *sp++ = thrown;
        DISPATCH();
      }
      if (f == frames) break;
      top = f->es_base;
      --f;
    }
    save(insn);
    set_ref(td->result, thrown);
    current_ = raw_null;
    return SliceOutcome::uncaught;
  }
  fatal:
    save(insn);
    set_ref(td->result, new_string(error_text));
    current_ = raw_null;
    return SliceOutcome::killed;
  yield:
    save(pc);
    current_ = raw_null;
    return SliceOutcome::yield;
  } catch (const OutOfMemory&) {
    save(insn);  // the instruction runs again after a collection
    current_ = raw_null;
    return SliceOutcome::need_gc;
  }
}

#undef save
#undef enter_frame
#undef need
#undef pop_fp
#undef push_fp

}  // namespace phantom::vm
