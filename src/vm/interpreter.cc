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
#include <cmath>
#include <cstring>
#include <limits>

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

SliceOutcome Vm::run_slice(Ref thread, std::int64_t budget) {
  ThreadData* td = thread_data(thread);
  current_ = thread;

  // ---- registers ----
  Frame* frames = heap_.as<Frame>(td->frames);
  Frame* frames_end = frames + heap_.hdr(td->frames)->size / sizeof(Frame);
  Frame* fp = frames + td->frame_count - 1;
  Ref* os = heap_.as<Ref>(td->os);
  Ref* os_end = os + heap_.hdr(td->os)->size / sizeof(Ref);
  Ref* sp = os + td->os_top;
  std::int32_t* is = heap_.as<std::int32_t>(td->is);
  std::int32_t* is_end = is + heap_.hdr(td->is)->size / 4;
  std::int32_t* isp = is + td->is_top;
  const std::uint8_t* code = quick_.code(fp->code, heap_.as<CodeData>(fp->code));
  const std::uint8_t* pc = code + fp->ip;
  const std::uint8_t* insn = pc;
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
  auto grow = [this](Ref& region, std::size_t used, std::size_t elem, std::size_t more, ClassId cls) -> std::byte* {
    std::size_t cap = heap_.hdr(region)->size / elem;
    std::size_t want = std::max<std::size_t>(cap * 2, used + more + 16);
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

  static void* table[256];
  static bool table_ready = false;
  if (!table_ready) {
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
    table[q_local_local_jz + 0] = &&q_llj_6; table[q_local_local_jz + 1] = &&q_llj_7;
    table[q_local_local_jz + 2] = &&q_llj_8; table[q_local_local_jz + 3] = &&q_llj_9;
    void* const constant_set[arith_count] = {&&q_cs_0, &&q_cs_1, &&q_cs_2, &&q_cs_3, &&q_cs_4, &&q_cs_5, &&q_cs_6, &&q_cs_7, &&q_cs_8, &&q_cs_9, &&q_cs_10, &&q_cs_11};
    for (int k = 0; k < arith_count; ++k) table[q_const_set + k] = constant_set[k];
    table[q_jump_local_const_jz + 0] = &&q_jlcj_6; table[q_jump_local_const_jz + 1] = &&q_jlcj_7;
    table[q_jump_local_const_jz + 2] = &&q_jlcj_8; table[q_jump_local_const_jz + 3] = &&q_jlcj_9;
    table[q_jump_local_local_jz + 0] = &&q_jllj_6; table[q_jump_local_local_jz + 1] = &&q_jllj_7;
    table[q_jump_local_local_jz + 2] = &&q_jllj_8; table[q_jump_local_local_jz + 3] = &&q_jllj_9;
    table[q_box_call] = &&q_box_call; table[q_box_ret] = &&q_box_ret; table[q_unbox_set] = &&q_unbox_set;
    table_ready = true;
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
      td->result = value;
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

  // ---- calls ----
  {
    std::uint32_t ordinal, nargs;
    const std::uint8_t* after;
    bool tail_on_ret;
    CallSite* site;  // the q_call site to fill, if any
  op_short_call:
    ordinal = *pc - 0x09; nargs = 0; after = pc + 1; tail_on_ret = true; site = nullptr;
    goto virtual_call;
  op_call_8bit:
    ordinal = pc[1]; nargs = static_cast<std::uint32_t>(be32(pc + 2)); after = pc + 6; tail_on_ret = true; site = nullptr;
    goto virtual_call;
  op_call_32bit:
    ordinal = static_cast<std::uint32_t>(be32(pc + 1)); nargs = static_cast<std::uint32_t>(be32(pc + 5)); after = pc + 9;
    tail_on_ret = true; site = nullptr;
    goto virtual_call;
  op_call_xx:
    ordinal = *pc - 0xA0; nargs = pc[1]; after = pc + 2; tail_on_ret = false; site = nullptr;
    goto virtual_call;
  q_call: {
    // A call_xx with a site (quicken.h). On a hit the callee is a bytecode method of the receiver's
    // class whose `arg_count` matches: push its frame and go. Anything else takes the full path.
    CallSite* site_ = call_site(code, pc[1]);
    const std::uint32_t n_ = site_->nargs;
    if (sp - os_lo > static_cast<std::ptrdiff_t>(n_) && fp + 1 != frames_end) [[likely]] {
      Ref target = sp[-static_cast<std::ptrdiff_t>(n_) - 1];
      if (target != raw_null && class_of(target) == site_->klass) [[likely]] {
        fp->ip = static_cast<std::uint32_t>(pc + 2 - code);
        Frame* nf = fp + 1;
        nf->os_base = static_cast<std::uint32_t>(sp - os) - n_;
        nf->ret_slot = nf->os_base - 1;
        nf->is_base = static_cast<std::uint32_t>(isp - is);
        nf->es_base = td->es_top;
        nf->flags = 0;
        nf->code = site_->callee;
        nf->self = target;
        nf->ip = 2;  // after the prologue
        fp = nf;
        code = site_->code;
        pc = code + 2;
        self = target;
        os_lo = sp - n_;
        is_lo = isp;
        if (--budget <= 0 || gc_requested_ || stop_requested_.load(std::memory_order_relaxed)) [[unlikely]] goto yield;
        DISPATCH();
      }
    }
    ordinal = site_->ordinal; nargs = n_; after = pc + 2; tail_on_ret = false; site = site_;
  }
  virtual_call: {
    if (nargs > max_stack_cells) FATAL("call with {} arguments", nargs);
    OS_NEED(nargs + 1);
    Ref target = sp[-static_cast<std::ptrdiff_t>(nargs) - 1];
    if (target == raw_null) target = null_object_;
    ClassData* cd = class_data(class_of(target));
    if (ordinal >= cd->method_slots)
      THROW("method call: class {} has no method with ordinal {} ({} slots)", class_name(class_of(target)), ordinal, cd->method_slots);
    Ref callee = page_refs(cd->method_table)[ordinal];
    if (callee == raw_null || callee == null_object_)
      THROW("method call: class {} does not define method {}", class_name(class_of(target)), ordinal);
    bool tail = td->es_top == fp->es_base &&
                ((tail_on_ret && after[0] == classfile::op_ret) || (after[0] == classfile::op_os_drop && after[1] == classfile::op_ret));
    auto* callee_code = heap_.as<CodeData>(callee);
    if (callee_code->length == 3 && callee_code->owner == internal_[cid_void] && !tail) {
      // A native method ([sys i; ret]): call it from here, without a frame. If it blocks, this call
      // instruction runs again; what it throws is thrown here, as the frame would have no catcher.
      Native fn = native_for(target, callee_code->bytes[1], error_text);
      if (!fn) {
        if (target == null_object_) error_text = fmt::format("method call on null (method {})", ordinal);
        goto throw_text;
      }
      save(insn);
      NativeCall call{target, thread, sp - nargs, nargs};
      NativeOutcome outcome = fn(*this, call);
      if (outcome == NativeOutcome::blocked) {
        current_ = raw_null;
        return SliceOutcome::blocked;
      }
      if (outcome == NativeOutcome::thrown) {
        thrown = call.result;
        goto unwind;
      }
      sp -= nargs;
      sp[-1] = NORMAL(call.result);
      pc = after;
      if (td->state != ThreadState::runnable) {
        save(pc);
        current_ = raw_null;
        return SliceOutcome::blocked;
      }
      DISPATCH();
    }
    IS_ROOM(1);
    if (tail) {
      Ref* dst = os + fp->os_base;
      std::memmove(dst, sp - nargs, nargs * sizeof(Ref));
      sp = dst + nargs;
      isp = is + fp->is_base;
    } else {
      FRAME_ROOM();
      fp->ip = static_cast<std::uint32_t>(after - code);
      Frame* nf = fp + 1;
      nf->os_base = static_cast<std::uint32_t>(sp - os) - nargs;
      nf->ret_slot = nf->os_base - 1;
      nf->is_base = static_cast<std::uint32_t>(isp - is);
      nf->es_base = td->es_top;
      nf->flags = 0;
      fp = nf;
    }
    fp->code = callee;
    fp->self = target;
    fp->ip = 0;
    enter_frame();
    // The callee's prologue `arg_count N` pops the count the call pushes and checks it. When it
    // matches, both are skipped: the same state, one dispatch less on every call. Otherwise
    // arg_count runs and reports the mismatch.
    if (pc[0] == classfile::op_arg_count && pc[1] == nargs) {
      pc += 2;
      if (site && !tail) *site = CallSite{class_of(target), callee, code, site->ordinal, site->nargs};
    } else {
      *isp++ = static_cast<std::int32_t>(nargs);
    }
    if (--budget <= 0 || gc_requested_ || stop_requested_.load(std::memory_order_relaxed)) [[unlikely]] goto yield;
    DISPATCH();
  }
  }

  op_static_invoke: {
    auto ordinal = static_cast<std::uint32_t>(be32(pc + 1));
    auto nargs = static_cast<std::uint32_t>(be32(pc + 5));
    if (nargs > max_stack_cells) FATAL("static_invoke with {} arguments", nargs);
    OS_NEED(nargs + 2);
    Ref cls = sp[-1];
    Ref target = NORMAL(sp[-2]);
    if (cls == raw_null || class_of(cls) != internal_[cid_class]) THROW("static_invoke: the class operand is not a class");
    if (!is_or_child(target, cls) && !(target == null_object_ && cls == internal_[cid_void]))
      THROW("static_invoke: an object of class {} is not a {}", class_name(class_of(target)), class_name(cls));
    ClassData* cd = class_data(cls);
    if (ordinal >= cd->method_slots) THROW("static_invoke: class {} has no method with ordinal {}", class_name(cls), ordinal);
    Ref callee = page_refs(cd->method_table)[ordinal];
    if (callee == raw_null || callee == null_object_) THROW("static_invoke: class {} does not define method {}", class_name(cls), ordinal);
    IS_ROOM(1);
    FRAME_ROOM();
    sp -= 2;
    ENTER_AT_ARGUMENTS(pc + 9, nargs);
  }

  op_dynamic_invoke: {
    OS_NEED(2);
    IS_NEED(1);
    Ref name = sp[-1];
    Ref target = NORMAL(sp[-2]);
    std::int32_t nargs = isp[-1];
    if (!is_a(name, cid_string)) THROW("dynamic_invoke: the method name is not a string");
    if (nargs < 0 || sp - os_lo < nargs + 2) FATAL("dynamic_invoke: {} arguments are not on the object stack", nargs);
    std::string_view wanted = string_of(name);
    std::int64_t ordinal = -1;
    for (Ref k = class_of(target); k != raw_null && ordinal < 0; k = class_data(k)->parent) {
      ClassData* kd = class_data(k);
      if (kd->method_names == raw_null) continue;
      Ref* names = page_refs(kd->method_names);
      for (std::uint32_t i = 0; i < page_slots(kd->method_names); ++i)
        if (is_a(names[i], cid_string) && string_of(names[i]) == wanted) { ordinal = i; break; }
    }
    ClassData* cd = class_data(class_of(target));
    if (ordinal < 0 || ordinal >= cd->method_slots) THROW("dynamic_invoke: class {} has no method {}", class_name(class_of(target)), wanted);
    Ref callee = page_refs(cd->method_table)[ordinal];
    if (callee == raw_null || callee == null_object_) THROW("dynamic_invoke: class {} has no method {}", class_name(class_of(target)), wanted);
    FRAME_ROOM();
    sp -= 2;
    --isp;
    ENTER_AT_ARGUMENTS(pc + 1, static_cast<std::uint32_t>(nargs));
  }

  op_sys: {
    IS_NEED(1);
    std::int32_t nargs = isp[-1];
    if (nargs < 0 || sp - os_lo < nargs) FATAL("sys: {} arguments are not on the object stack", nargs);
    std::uint32_t index = pc[1];
    Ref target = NORMAL(self);
    Native fn = native_for(target, index, error_text);
    if (!fn) goto throw_text;
    save(insn);  // restartable: a native that blocks, or a snapshot during a nested call, runs it again
    NativeCall call{target, thread, sp - nargs, static_cast<std::uint32_t>(nargs)};
    NativeOutcome outcome = fn(*this, call);
    if (outcome == NativeOutcome::blocked) {
      current_ = raw_null;
      return SliceOutcome::blocked;
    }
    if (outcome == NativeOutcome::thrown) {
      thrown = call.result;
      goto unwind;
    }
    sp -= nargs;
    --isp;
    *sp++ = NORMAL(call.result);
    pc += 2;
    if (td->state != ThreadState::runnable) {  // e.g. a native that parked the thread after returning
      save(pc);
      current_ = raw_null;
      return SliceOutcome::blocked;
    }
    DISPATCH();
  }

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
      heap_.as<Ref>(target)[field] = sp[-1];
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
    heap_.as<Ref>(target)[field] = boxed;
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
    if (auto it = summon_cache_.find(pc); it != summon_cache_.end()) {
      cls = it->second;
    } else {
      save(insn);
      auto found = lookup_class(std::string_view(reinterpret_cast<const char*>(pc + 5), static_cast<std::size_t>(len)));
      if (!found.ok()) THROW("summon by name: no class found: {}", found.error().message);
      cls = *found;
      if (nested_depth_ == 0) summon_cache_[pc] = cls;
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

  // ---- superinstructions (quicken.h): only operands are read; a failed precondition runs the first
  // instruction of the sequence, which reports the error as before ----
#define FUSED_JUMP(target, jz_at)                                                                     \
  do {                                                                                                \
    const std::uint8_t* t_ = (target);                                                                \
    pc = t_;                                                                                          \
    if (t_ <= (jz_at) && (--budget <= 0 || gc_requested_ || stop_requested_.load(std::memory_order_relaxed))) [[unlikely]] \
      goto yield;                                                                                     \
    DISPATCH();                                                                                       \
  } while (0)
#define Q_LOCAL_LOCAL(K)                                                                              \
  q_ll_##K: {                                                                                         \
    auto a_ = static_cast<std::uint32_t>(be32(pc + 1)), b_ = static_cast<std::uint32_t>(be32(pc + 6)); \
    auto n_ = static_cast<std::uint32_t>(isp - is_lo);                                                \
    if (a_ >= n_ || b_ >= n_ || isp == is_end) [[unlikely]] goto op_is_get32;                         \
    *isp++ = arith<K>(is_lo[a_], is_lo[b_]);                                                          \
    pc += 11;                                                                                         \
    DISPATCH();                                                                                       \
  }
  Q_LOCAL_LOCAL(0) Q_LOCAL_LOCAL(1) Q_LOCAL_LOCAL(2) Q_LOCAL_LOCAL(3) Q_LOCAL_LOCAL(4)
  Q_LOCAL_LOCAL(5) Q_LOCAL_LOCAL(6) Q_LOCAL_LOCAL(7) Q_LOCAL_LOCAL(8) Q_LOCAL_LOCAL(9)
#undef Q_LOCAL_LOCAL
#define Q_CONST(K)                                                                                    \
  q_c_##K: {                                                                                          \
    if (isp == is_lo) [[unlikely]] goto op_iconst_32bit;                                              \
    isp[-1] = arith<K>(isp[-1], be32(pc + 1));                                                        \
    pc += 6;                                                                                          \
    DISPATCH();                                                                                       \
  }
  Q_CONST(0) Q_CONST(1) Q_CONST(2) Q_CONST(3) Q_CONST(4) Q_CONST(5)
  Q_CONST(6) Q_CONST(7) Q_CONST(8) Q_CONST(9) Q_CONST(10) Q_CONST(11)
#undef Q_CONST
#define Q_LOCAL_CONST_SET(K)                                                                          \
  q_lcs_##K: {                                                                                        \
    auto a_ = static_cast<std::uint32_t>(be32(pc + 1)), d_ = static_cast<std::uint32_t>(be32(pc + 12)); \
    auto n_ = static_cast<std::uint32_t>(isp - is_lo);                                                \
    if (a_ >= n_ || d_ >= n_ || isp == is_end) [[unlikely]] goto op_is_get32;                         \
    is_lo[d_] = arith<K>(is_lo[a_], be32(pc + 6));                                                    \
    pc += 16;                                                                                         \
    DISPATCH();                                                                                       \
  }
  Q_LOCAL_CONST_SET(0) Q_LOCAL_CONST_SET(1) Q_LOCAL_CONST_SET(2)
#undef Q_LOCAL_CONST_SET
#define Q_LOCAL_CONST_JZ(K)                                                                           \
  q_lcj_##K: {                                                                                        \
    auto a_ = static_cast<std::uint32_t>(be32(pc + 1));                                               \
    if (a_ >= static_cast<std::uint32_t>(isp - is_lo) || isp == is_end) [[unlikely]] goto op_is_get32; \
    const std::uint8_t* jz_ = pc + 11;                                                                \
    bool true_ = arith<K>(is_lo[a_], be32(pc + 6)) != 0;                                              \
    pc += 16;                                                                                         \
    if (!true_) FUSED_JUMP(jz_ + 1 + be32(jz_ + 1), jz_);                                             \
    DISPATCH();                                                                                       \
  }
  Q_LOCAL_CONST_JZ(6) Q_LOCAL_CONST_JZ(7) Q_LOCAL_CONST_JZ(8) Q_LOCAL_CONST_JZ(9)
#undef Q_LOCAL_CONST_JZ
#define Q_COMPARE_JZ(K, original)                                                                     \
  q_cj_##K: {                                                                                         \
    if (isp - is_lo < 2) [[unlikely]] goto original;                                                  \
    bool true_ = arith<K>(isp[-2], isp[-1]) != 0;                                                     \
    isp -= 2;                                                                                         \
    const std::uint8_t* jz_ = pc + 1;                                                                 \
    pc += 6;                                                                                          \
    if (!true_) FUSED_JUMP(jz_ + 1 + be32(jz_ + 1), jz_);                                             \
    DISPATCH();                                                                                       \
  }
  Q_COMPARE_JZ(6, op_ilt) Q_COMPARE_JZ(7, op_igt) Q_COMPARE_JZ(8, op_ile) Q_COMPARE_JZ(9, op_ige)
#undef Q_COMPARE_JZ
#define Q_LOCAL_LOCAL_JZ(K)                                                                           \
  q_llj_##K: {                                                                                        \
    auto a_ = static_cast<std::uint32_t>(be32(pc + 1)), b_ = static_cast<std::uint32_t>(be32(pc + 6)); \
    auto n_ = static_cast<std::uint32_t>(isp - is_lo);                                                \
    if (a_ >= n_ || b_ >= n_ || isp == is_end) [[unlikely]] goto op_is_get32;                         \
    const std::uint8_t* jz_ = pc + 11;                                                                \
    bool true_ = arith<K>(is_lo[a_], is_lo[b_]) != 0;                                                 \
    pc += 16;                                                                                         \
    if (!true_) FUSED_JUMP(jz_ + 1 + be32(jz_ + 1), jz_);                                             \
    DISPATCH();                                                                                       \
  }
  Q_LOCAL_LOCAL_JZ(6) Q_LOCAL_LOCAL_JZ(7) Q_LOCAL_LOCAL_JZ(8) Q_LOCAL_LOCAL_JZ(9)
#undef Q_LOCAL_LOCAL_JZ
#define Q_CONST_SET(K)                                                                                \
  q_cs_##K: {                                                                                         \
    auto n_ = static_cast<std::uint32_t>(isp - is_lo), d_ = static_cast<std::uint32_t>(be32(pc + 7)); \
    if (n_ == 0 || isp == is_end || d_ >= n_ - 1) [[unlikely]] goto op_iconst_32bit;                  \
    is_lo[d_] = arith<K>(isp[-1], be32(pc + 1));                                                      \
    --isp;                                                                                            \
    pc += 11;                                                                                         \
    DISPATCH();                                                                                       \
  }
  Q_CONST_SET(0) Q_CONST_SET(1) Q_CONST_SET(2) Q_CONST_SET(3) Q_CONST_SET(4) Q_CONST_SET(5)
  Q_CONST_SET(6) Q_CONST_SET(7) Q_CONST_SET(8) Q_CONST_SET(9) Q_CONST_SET(10) Q_CONST_SET(11)
#undef Q_CONST_SET
  // A jmp to a fused loop condition: the jump (a safepoint when backward), then the condition at the
  // target as its own handler would run it; when a precondition fails, that handler runs instead.
#define JUMP_THEN_CONDITION()                                                                         \
  const std::uint8_t* t_ = pc + 1 + be32(pc + 1);                                                     \
  if (t_ <= pc && (--budget <= 0 || gc_requested_ || stop_requested_.load(std::memory_order_relaxed))) [[unlikely]] { \
    pc = t_;                                                                                          \
    goto yield;                                                                                       \
  }                                                                                                   \
  pc = t_;                                                                                            \
  auto a_ = static_cast<std::uint32_t>(be32(pc + 1));                                                 \
  auto n_ = static_cast<std::uint32_t>(isp - is_lo);                                                  \
  const std::uint8_t* jz_ = pc + 11
#define Q_JUMP_LOCAL_CONST_JZ(K)                                                                      \
  q_jlcj_##K: {                                                                                       \
    JUMP_THEN_CONDITION();                                                                            \
    if (a_ >= n_ || isp == is_end) [[unlikely]] DISPATCH();                                           \
    bool true_ = arith<K>(is_lo[a_], be32(pc + 6)) != 0;                                              \
    pc += 16;                                                                                         \
    if (!true_) FUSED_JUMP(jz_ + 1 + be32(jz_ + 1), jz_);                                             \
    DISPATCH();                                                                                       \
  }
#define Q_JUMP_LOCAL_LOCAL_JZ(K)                                                                      \
  q_jllj_##K: {                                                                                       \
    JUMP_THEN_CONDITION();                                                                            \
    auto b_ = static_cast<std::uint32_t>(be32(pc + 6));                                               \
    if (a_ >= n_ || b_ >= n_ || isp == is_end) [[unlikely]] DISPATCH();                               \
    bool true_ = arith<K>(is_lo[a_], is_lo[b_]) != 0;                                                 \
    pc += 16;                                                                                         \
    if (!true_) FUSED_JUMP(jz_ + 1 + be32(jz_ + 1), jz_);                                             \
    DISPATCH();                                                                                       \
  }
  Q_JUMP_LOCAL_CONST_JZ(6) Q_JUMP_LOCAL_CONST_JZ(7) Q_JUMP_LOCAL_CONST_JZ(8) Q_JUMP_LOCAL_CONST_JZ(9)
  Q_JUMP_LOCAL_LOCAL_JZ(6) Q_JUMP_LOCAL_LOCAL_JZ(7) Q_JUMP_LOCAL_LOCAL_JZ(8) Q_JUMP_LOCAL_LOCAL_JZ(9)
#undef Q_JUMP_LOCAL_LOCAL_JZ
#undef Q_JUMP_LOCAL_CONST_JZ
#undef JUMP_THEN_CONDITION
  // The boxed-int idioms: a fallback runs os_get32, i2o or o2i, which handle null, other classes and
  // full stacks as before.
#define Q_OBJECT_CONST(K)                                                                             \
  q_oc_##K: {                                                                                         \
    auto a_ = static_cast<std::uint32_t>(be32(pc + 1));                                               \
    if (a_ >= static_cast<std::uint32_t>(sp - os_lo) || isp == is_end || !is_int(os_lo[a_])) [[unlikely]] \
      goto op_os_get32;                                                                               \
    *isp++ = arith<K>(int_of(os_lo[a_]), be32(pc + 7));                                               \
    pc += 12;                                                                                         \
    DISPATCH();                                                                                       \
  }
  Q_OBJECT_CONST(0) Q_OBJECT_CONST(1) Q_OBJECT_CONST(2) Q_OBJECT_CONST(3) Q_OBJECT_CONST(4) Q_OBJECT_CONST(5)
  Q_OBJECT_CONST(6) Q_OBJECT_CONST(7) Q_OBJECT_CONST(8) Q_OBJECT_CONST(9) Q_OBJECT_CONST(10) Q_OBJECT_CONST(11)
#undef Q_OBJECT_CONST
#define Q_OBJECT_CONST_JZ(K)                                                                          \
  q_ocj_##K: {                                                                                        \
    auto a_ = static_cast<std::uint32_t>(be32(pc + 1));                                               \
    if (a_ >= static_cast<std::uint32_t>(sp - os_lo) || isp == is_end || !is_int(os_lo[a_])) [[unlikely]] \
      goto op_os_get32;                                                                               \
    const std::uint8_t* jz_ = pc + 12;                                                                \
    bool true_ = arith<K>(int_of(os_lo[a_]), be32(pc + 7)) != 0;                                      \
    pc += 17;                                                                                         \
    if (!true_) FUSED_JUMP(jz_ + 1 + be32(jz_ + 1), jz_);                                             \
    DISPATCH();                                                                                       \
  }
  Q_OBJECT_CONST_JZ(6) Q_OBJECT_CONST_JZ(7) Q_OBJECT_CONST_JZ(8) Q_OBJECT_CONST_JZ(9)
#undef Q_OBJECT_CONST_JZ
  q_box_call: {  // i2o; call_xx: the boxing, then straight into the call (no dispatch between)
    if (isp == is_lo || sp == os_end) [[unlikely]] goto op_i2o;
    Ref boxed = new_int(isp[-1]);  // may throw OutOfMemory before anything changed: i2o runs again
    --isp;
    *sp++ = boxed;
    insn = ++pc;
    if (*pc == q_call) goto q_call;
    goto op_call_xx;
  }
  q_box_ret: {  // i2o; ret
    if (isp == is_lo || sp == os_end) [[unlikely]] goto op_i2o;
    Ref boxed = new_int(isp[-1]);
    --isp;
    *sp++ = boxed;
    insn = ++pc;
    goto op_ret;
  }
  q_local_ret: {  // os_get32 A; ret
    auto a_ = static_cast<std::uint32_t>(be32(pc + 1));
    if (a_ >= static_cast<std::uint32_t>(sp - os_lo) || sp == os_end) [[unlikely]] goto op_os_get32;
    *sp = os_lo[a_];
    ++sp;
    insn = pc += 5;
    goto op_ret;
  }
#define Q_ARITH_BOX_RET(K, original)                                                                  \
  q_abr_##K: {                                                                                        \
    if (isp - is_lo < 2 || sp == os_end) [[unlikely]] goto original;                                  \
    Ref boxed = new_int(arith<K>(isp[-2], isp[-1]));  /* may throw OutOfMemory: OP runs again */      \
    isp -= 2;                                                                                         \
    *sp++ = boxed;                                                                                    \
    insn = pc += 2;                                                                                   \
    goto op_ret;                                                                                      \
  }
  Q_ARITH_BOX_RET(0, op_isum) Q_ARITH_BOX_RET(1, op_isublu) Q_ARITH_BOX_RET(2, op_imul)
#undef Q_ARITH_BOX_RET
  q_unbox_set: {  // o2i; is_set32 D
    auto d_ = static_cast<std::uint32_t>(be32(pc + 2));
    if (sp == os_lo || d_ >= static_cast<std::uint32_t>(isp - is_lo) || !is_int(sp[-1])) [[unlikely]] goto op_o2i;
    is_lo[d_] = int_of(*--sp);
    pc += 6;
    DISPATCH();
  }
#undef FUSED_JUMP
#undef FUSED_JUMP
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

  // ---- type prefixes (pvm.md §2.3): long, float, double versions of the next instruction ----
  op_prefix: {
    const std::uint8_t prefix = *pc;
    ++pc;
    std::uint8_t op = *pc;
    using namespace classfile;
    const bool is_long = prefix == op_prefix_long, is_float = prefix == op_prefix_float;
    const char* kind = is_long ? "long" : is_float ? "float" : "double";
    const int w = is_float ? 1 : 2;  // cells of one operand
#define need(cells) (isp - is_lo >= (cells))
#define pop_fp() (is_float ? double(bits_f(*--isp)) : bits_d(POP_L()))
#define push_fp(v)                                           \
  do {                                                       \
    double v_fp_ = (v);                                      \
    if (is_float) *isp++ = f_bits(static_cast<float>(v_fp_)); \
    else PUSH_L(d_bits(v_fp_));                              \
  } while (0)
    switch (op) {
      case op_isum: case op_imul: case op_isubul: case op_isublu: case op_idivul: case op_idivlu: case op_iremul:
      case op_iremlu: case op_ige: case op_ile: case op_igt: case op_ilt: {
        if (!need(2 * w)) FATAL("integer stack underflow in a {} operation", kind);
        bool compare = op >= op_ige && op <= op_ilt;
        if (is_long) {
          std::int64_t u = POP_L(), l = POP_L(), r = 0;
          std::uint64_t uu = std::uint64_t(u), ul = std::uint64_t(l);
          switch (op) {
            case op_isum: r = std::int64_t(ul + uu); break;
            case op_imul: r = std::int64_t(ul * uu); break;
            case op_isubul: r = std::int64_t(uu - ul); break;
            case op_isublu: r = std::int64_t(ul - uu); break;
            case op_ige: r = l >= u; break;
            case op_ile: r = l <= u; break;
            case op_igt: r = l > u; break;
            case op_ilt: r = l < u; break;
            default: {
              bool upper_first = op == op_idivul || op == op_iremul;
              std::int64_t a = upper_first ? u : l, b = upper_first ? l : u;
              if (b == 0) { PUSH_L(l); PUSH_L(u); THROW("division by zero"); }
              bool div = op == op_idivul || op == op_idivlu;
              if (b == -1) r = div ? std::int64_t(0 - std::uint64_t(a)) : 0;
              else r = div ? a / b : a % b;
            }
          }
          if (compare) *isp++ = static_cast<std::int32_t>(r);
          else PUSH_L(r);
        } else {
          double u = pop_fp(), l = pop_fp(), r = 0;
          switch (op) {
            case op_isum: r = l + u; break;
            case op_imul: r = l * u; break;
            case op_isubul: r = u - l; break;
            case op_isublu: r = l - u; break;
            case op_idivul: r = u / l; break;
            case op_idivlu: r = l / u; break;
            case op_iremul: r = std::fmod(u, l); break;
            case op_iremlu: r = std::fmod(l, u); break;
            case op_ige: r = l >= u; break;
            case op_ile: r = l <= u; break;
            case op_igt: r = l > u; break;
            case op_ilt: r = l < u; break;
          }
          if (is_float && !compare) r = static_cast<float>(r);  // float arithmetic rounds to binary32
          if (compare) *isp++ = static_cast<std::int32_t>(r);
          else push_fp(r);
        }
        pc += 1;
        DISPATCH();
      }
      case op_ior: case op_iand: case op_ixor: case op_inot: case op_log_or: case op_log_and: case op_log_xor:
      case op_log_not: case op_ishl: case op_ishr: case op_ushr: {
        if (!is_long) THROW("invalid {} operation: {}", kind, op_info(op).mnemonic);
        if (op == op_inot || op == op_log_not) {
          if (!need(2)) FATAL("integer stack underflow in a long operation");
          std::int64_t v = POP_L();
          PUSH_L(op == op_inot ? ~v : std::int64_t(v == 0));
        } else if (op == op_ishl || op == op_ishr || op == op_ushr) {
          if (!need(3)) FATAL("integer stack underflow in a long shift");
          std::int64_t v = POP_L();
          std::int32_t count = *--isp & 63;
          PUSH_L(op == op_ishl ? std::int64_t(std::uint64_t(v) << count)
                 : op == op_ishr ? v >> count : std::int64_t(std::uint64_t(v) >> count));
        } else {
          if (!need(4)) FATAL("integer stack underflow in a long operation");
          std::int64_t u = POP_L(), l = POP_L();
          std::int64_t r = op == op_ior ? (l | u) : op == op_iand ? (l & u) : op == op_ixor ? (l ^ u)
                         : op == op_log_or ? std::int64_t(l != 0 || u != 0) : op == op_log_and ? std::int64_t(l != 0 && u != 0)
                         : std::int64_t((l != 0) != (u != 0));
          PUSH_L(r);
        }
        pc += 1;
        DISPATCH();
      }
      case op_fromi: case op_froml: case op_fromf: case op_fromd: {
        int in_cells = (op == op_fromi || op == op_fromf) ? 1 : 2;
        if (!need(in_cells)) FATAL("integer stack underflow in a conversion");
        IS_ROOM(2);
        if (is_long) {
          std::int64_t r = op == op_fromi ? std::int64_t(*--isp) : op == op_froml ? POP_L()
                         : op == op_fromf ? to_i64(bits_f(*--isp)) : to_i64(bits_d(POP_L()));
          PUSH_L(r);
        } else {
          double v = op == op_fromi ? double(*--isp) : op == op_froml ? double(POP_L())
                   : op == op_fromf ? double(bits_f(*--isp)) : bits_d(POP_L());
          push_fp(v);
        }
        pc += 1;
        DISPATCH();
      }
      case op_i2o: {
        if (!need(w)) FATAL("integer stack underflow in i2o");
        OS_ROOM(1);
        Ref boxed;
        if (is_long) { std::int64_t v = (isp -= 2, std::int64_t((std::uint64_t(std::uint32_t(isp[0])) << 32) | std::uint32_t(isp[1]))); isp += 2; boxed = new_long(v); isp -= 2; }
        else if (is_float) { boxed = new_float(bits_f(isp[-1])); --isp; }
        else { std::int64_t v = (std::int64_t(std::uint64_t(std::uint32_t(isp[-2])) << 32) | std::uint32_t(isp[-1])); boxed = new_double(bits_d(v)); isp -= 2; }
        *sp++ = boxed;
        pc += 1;
        DISPATCH();
      }
      case op_o2i: {
        OS_NEED(1);
        IS_ROOM(2);
        Ref obj = sp[-1];
        ClassId want = is_long ? cid_long : is_float ? cid_float : cid_double;
        if (is_null(obj)) {  // as unprefixed o2i: a number never stored reads as 0
          if (is_float) *isp++ = 0;
          else PUSH_L(0);
          --sp;
          pc += 1;
          DISPATCH();
        }
        if (!is_a(obj, want))
          THROW("type assert failed: {} o2i of a {}", kind, is_null(obj) ? std::string("null") : class_name(class_of(obj)));
        if (is_float) *isp++ = *heap_.as<std::int32_t>(obj);
        else { std::int64_t v; std::memcpy(&v, heap_.data(obj), 8); PUSH_L(v); }
        --sp;
        pc += 1;
        DISPATCH();
      }
      case op_is_dup: case op_is_drop: {
        if (!need(w)) FATAL("integer stack underflow");
        IS_ROOM(2);
        if (op == op_is_drop) isp -= w;
        else { for (int i = 0; i < w; ++i) isp[i] = isp[i - w]; isp += w; }
        pc += 1;
        DISPATCH();
      }
      case op_is_get32: case op_is_set32: {
        std::int32_t p = be32(pc + 1);
        if (op == op_is_get32) {
          if (p < 0 || std::int64_t(p) + w > isp - is_lo) FATAL("is_get32 {}: the integer stack holds {}", p, isp - is_lo);
          IS_ROOM(2);
          for (int i = 0; i < w; ++i) isp[i] = is_lo[p + i];
          isp += w;
        } else {
          if (p < 0 || std::int64_t(p) + w > isp - is_lo - w) FATAL("is_set32 {}: the integer stack holds {}", p, isp - is_lo - w);
          isp -= w;
          for (int i = 0; i < w; ++i) is_lo[p + i] = isp[i];
        }
        pc += 5;
        DISPATCH();
      }
      case op_iconst_0: case op_iconst_1: case op_iconst_8bit: case op_iconst_32bit: {
        std::int64_t v = op == op_iconst_0 ? 0 : op == op_iconst_1 ? 1 : op == op_iconst_8bit ? pc[1] : be32(pc + 1);
        IS_ROOM(2);
        if (is_float) *isp++ = static_cast<std::int32_t>(v);  // B9: the integer's bits, not converted
        else PUSH_L(v);
        pc += op == op_iconst_8bit ? 2 : op == op_iconst_32bit ? 5 : 1;
        DISPATCH();
      }
      default:
        goto* table[op];  // the prefix does not apply: run the instruction as it is
    }
  }

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
    td->result = thrown;
    current_ = raw_null;
    return SliceOutcome::uncaught;
  }
  fatal:
    save(insn);
    td->result = new_string(error_text);
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
