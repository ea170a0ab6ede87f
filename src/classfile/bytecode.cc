// Bytecode: the opcode table and the decoder/verifier (class-file layer). May call: util/ only.
#include "classfile/bytecode.h"

#include <algorithm>
#include <array>
#include <optional>
#include <unordered_map>

#include "classfile/opcodes.h"

namespace phantom::classfile {
namespace {

struct Table {
  std::array<OpInfo, 256> ops{};
  std::array<std::string, 32> call_names{};
  Table() {
    auto set = [&](std::uint8_t op, std::string_view name, Operands operands = Operands::none) {
      ops[op] = OpInfo{name, operands};
    };
    set(op_nop, "nop"); set(op_debug, "debug", Operands::debug); set(op_djnz, "djnz", Operands::rel);
    set(op_jz, "jz", Operands::rel); set(op_jmp, "jmp", Operands::rel); set(op_switch, "switch", Operands::switch_);
    set(op_ret, "ret");
    set(op_short_call_0, "short_call_0"); set(op_short_call_1, "short_call_1");
    set(op_short_call_2, "short_call_2"); set(op_short_call_3, "short_call_3");
    set(op_call_8bit, "call_8bit", Operands::u8_i32); set(op_call_32bit, "call_32bit", Operands::i32_i32);
    set(op_sys, "sys", Operands::u8);
    set(op_is_dup, "is_dup"); set(op_is_drop, "is_drop"); set(op_os_dup, "os_dup"); set(op_os_drop, "os_drop");
    set(op_os_load8, "os_load8", Operands::u8); set(op_os_save8, "os_save8", Operands::u8);
    set(op_os_load32, "os_load32", Operands::i32); set(op_os_save32, "os_save32", Operands::i32);
    set(op_new, "new");
    set(op_os_pull32, "os_pull32", Operands::i32); set(op_os_get32, "os_get32", Operands::i32);
    set(op_os_set32, "os_set32", Operands::i32);
    set(op_iconst_0, "iconst_0"); set(op_iconst_1, "iconst_1"); set(op_iconst_8bit, "iconst_8bit", Operands::u8);
    set(op_iconst_32bit, "iconst_32bit", Operands::i32); set(op_sconst_bin, "sconst_bin", Operands::str);
    set(op_iconst_64bit, "iconst_64bit", Operands::i64); set(op_is_get32, "is_get32", Operands::i32);
    set(op_is_set32, "is_set32", Operands::i32); set(op_const_pool, "const_pool", Operands::i32);
    set(op_stack_reserve, "stack_reserve", Operands::u8_u8);
    set(op_cast, "cast"); set(op_push_catcher, "push_catcher", Operands::rel); set(op_pop_catcher, "pop_catcher");
    set(op_throw, "throw");
    set(op_summon_thread, "summon_thread"); set(op_summon_this, "summon_this"); set(op_summon_null, "summon_null");
    set(op_summon_class_class, "summon_class_class"); set(op_summon_int_class, "summon_int_class");
    set(op_summon_string_class, "summon_string_class"); set(op_summon_interface_class, "summon_interface_class");
    set(op_summon_code_class, "summon_code_class"); set(op_summon_array_class, "summon_array_class");
    set(op_summon_by_name, "summon_by_name", Operands::str);
    set(op_i2o, "i2o"); set(op_o2i, "o2i"); set(op_isum, "isum"); set(op_imul, "imul"); set(op_isubul, "isubul");
    set(op_isublu, "isublu"); set(op_idivul, "idivul"); set(op_idivlu, "idivlu"); set(op_ior, "ior");
    set(op_iand, "iand"); set(op_ixor, "ixor"); set(op_inot, "inot"); set(op_log_or, "log_or");
    set(op_log_and, "log_and"); set(op_log_xor, "log_xor"); set(op_log_not, "log_not");
    set(op_is_load8, "is_load8", Operands::u8); set(op_is_save8, "is_save8", Operands::u8);
    set(op_ige, "ige"); set(op_ile, "ile"); set(op_igt, "igt"); set(op_ilt, "ilt");
    set(op_iremul, "iremul"); set(op_iremlu, "iremlu");
    set(op_os_eq, "os_eq"); set(op_os_neq, "os_neq"); set(op_os_isnull, "os_isnull");
    set(op_prefix_long, "prefix_long"); set(op_prefix_float, "prefix_float"); set(op_prefix_double, "prefix_double");
    set(op_general_lock, "general_lock"); set(op_general_unlock, "general_unlock");
    set(op_static_invoke, "static_invoke", Operands::i32_i32); set(op_dynamic_invoke, "dynamic_invoke");
    set(op_ishl, "ishl"); set(op_ishr, "ishr"); set(op_ushr, "ushr"); set(op_arg_count, "arg_count", Operands::u8);
    set(op_fromi, "fromi"); set(op_froml, "froml"); set(op_fromf, "fromf"); set(op_fromd, "fromd");
    for (int i = 0; i < 32; ++i) {
      call_names[i] = fmt::format("call_{:02x}", i);
      set(static_cast<std::uint8_t>(op_call_00 + i), call_names[i], Operands::u8);
    }
  }
};

const Table& table() {
  static const Table t;
  return t;
}

class Reader {
 public:
  Reader(std::span<const std::uint8_t> code, std::uint32_t at) : code_(code), at_(at) {}
  bool has(std::size_t n) const { return at_ + n <= code_.size(); }
  std::uint32_t at() const { return at_; }
  std::int64_t be(int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v = (v << 8) | code_[at_++];
    if (bytes == 4) return static_cast<std::int32_t>(v);
    return static_cast<std::int64_t>(v);
  }

 private:
  std::span<const std::uint8_t> code_;
  std::uint32_t at_;
};

}  // namespace

const OpInfo& op_info(std::uint8_t opcode) { return table().ops[opcode]; }

std::optional<std::uint8_t> op_by_mnemonic(std::string_view mnemonic) {
  for (int op = 0; op < 256; ++op)
    if (!table().ops[op].mnemonic.empty() && table().ops[op].mnemonic == mnemonic) return static_cast<std::uint8_t>(op);
  return std::nullopt;
}

Result<std::vector<Instruction>> decode_code(std::span<const std::uint8_t> code, std::string_view where) {
  std::vector<Instruction> out;
  std::vector<bool> starts(code.size() + 1, false);
  std::uint32_t ip = 0;
  auto fail = [&](std::uint32_t at, std::string_view what) {
    return make_error(Errc::corrupt, "{}: bytecode offset {}: {}", where, at, what);
  };
  bool after_prefix = false;
  while (ip < code.size()) {
    Instruction in;
    in.offset = ip;
    in.opcode = code[ip];
    const OpInfo& info = op_info(in.opcode);
    if (info.mnemonic.empty()) return fail(ip, fmt::format("unknown opcode 0x{:02X}", in.opcode));
    if (after_prefix && is_prefix(in.opcode)) return fail(ip, "a type prefix follows a type prefix");
    starts[ip] = true;
    Reader r(code, ip + 1);
    auto need = [&](std::size_t n) { return r.has(n); };
    auto rel = [&]() {
      std::int64_t field = r.at();
      std::int64_t target = field + r.be(4);
      in.targets.push_back(static_cast<std::uint32_t>(std::clamp<std::int64_t>(target, -1, UINT32_MAX)));
      if (target < 0 || target > static_cast<std::int64_t>(code.size())) in.targets.back() = UINT32_MAX;
    };
    bool ok = true;
    switch (info.operands) {
      case Operands::none: break;
      case Operands::u8: ok = need(1) && (in.a = r.be(1), true); break;
      case Operands::i32: ok = need(4) && (in.a = r.be(4), true); break;
      case Operands::i64: ok = need(8) && (in.a = r.be(8), true); break;
      case Operands::rel: ok = need(4) && (rel(), true); break;
      case Operands::u8_u8: ok = need(2) && (in.a = r.be(1), in.b = r.be(1), true); break;
      case Operands::u8_i32: ok = need(5) && (in.a = r.be(1), in.b = r.be(4), true); break;
      case Operands::i32_i32: ok = need(8) && (in.a = r.be(4), in.b = r.be(4), true); break;
      case Operands::str:
      case Operands::debug: {
        if (info.operands == Operands::debug) {
          if (!need(1)) { ok = false; break; }
          in.a = r.be(1);
          if (!(in.a & 0x80)) break;
        }
        if (!need(4)) { ok = false; break; }
        std::int64_t len = r.be(4);
        if (len < 0 || !need(static_cast<std::size_t>(len))) return fail(ip, fmt::format("string operand of {} bytes runs past the end of the code", len));
        in.text.assign(reinterpret_cast<const char*>(code.data()) + r.at(), static_cast<std::size_t>(len));
        r = Reader(code, r.at() + static_cast<std::uint32_t>(len));
        break;
      }
      case Operands::switch_: {
        if (!need(12)) { ok = false; break; }
        in.a = r.be(4);
        in.b = r.be(4);
        in.c = r.be(4);
        if (in.a < 0 || !need(static_cast<std::size_t>(in.a) * 4)) return fail(ip, fmt::format("switch table of {} entries runs past the end of the code", in.a));
        if (in.c == 0) return fail(ip, "switch divides by zero");
        for (std::int64_t i = 0; i < in.a; ++i) rel();
        break;
      }
    }
    if (!ok) return fail(ip, fmt::format("operands of {} run past the end of the code", info.mnemonic));
    in.length = r.at() - ip;
    after_prefix = is_prefix(in.opcode);
    ip = r.at();
    out.push_back(std::move(in));
  }
  if (after_prefix) return fail(ip - 1, "the code ends with a type prefix");
  starts[code.size()] = true;  // the end: a jump there runs off the method, which the interpreter reports
  for (const Instruction& in : out)
    for (std::uint32_t t : in.targets)
      if (t == UINT32_MAX || !starts[t])
        return fail(in.offset, t == UINT32_MAX ? std::string("jump target outside the code")
                                               : fmt::format("jump target {} is inside an instruction", t));
  return out;
}

namespace {

// Objects an instruction needs on the stack and the net change it makes; nullopt: depends on run time.
struct StackEffect {
  std::int64_t needs = 0;
  std::int64_t change = 0;
};
std::optional<StackEffect> object_effect(const Instruction& in) {
  std::uint8_t op = in.opcode;
  if (is_short_call(op)) return StackEffect{in.a + 1, -in.a};
  switch (op) {
    case op_short_call_0: case op_short_call_1: case op_short_call_2: case op_short_call_3: return StackEffect{1, 0};
    case op_call_8bit: case op_call_32bit:
      if (in.b < 0) return std::nullopt;
      return StackEffect{in.b + 1, -in.b};
    case op_static_invoke:
      if (in.b < 0) return std::nullopt;
      return StackEffect{in.b + 2, -in.b - 1};
    case op_sys: case op_dynamic_invoke: return std::nullopt;
    case op_os_dup: return StackEffect{1, 1};
    case op_os_drop: case op_os_save8: case op_os_save32: case op_push_catcher: case op_general_lock:
    case op_general_unlock: case op_throw:
      return StackEffect{1, -1};
    case op_os_load8: case op_os_load32: case op_sconst_bin: case op_const_pool: case op_summon_thread:
    case op_summon_this: case op_summon_null: case op_summon_class_class: case op_summon_int_class:
    case op_summon_string_class: case op_summon_interface_class: case op_summon_code_class:
    case op_summon_array_class: case op_summon_by_name: case op_i2o:
      return StackEffect{0, 1};
    case op_new: return StackEffect{1, 0};
    case op_os_pull32: return in.a < 0 ? std::nullopt : std::optional<StackEffect>(StackEffect{in.a + 1, 1});
    case op_os_get32: return in.a < 0 ? std::nullopt : std::optional<StackEffect>(StackEffect{in.a + 1, 1});
    case op_os_set32: return in.a < 0 ? std::nullopt : std::optional<StackEffect>(StackEffect{in.a + 2, -1});
    case op_stack_reserve: return StackEffect{0, in.a};
    case op_cast: return StackEffect{2, -1};
    case op_o2i: case op_os_isnull: return StackEffect{1, -1};
    case op_os_eq: case op_os_neq: return StackEffect{2, -2};
    default: return StackEffect{0, 0};  // integer-stack and control instructions
  }
}

}  // namespace

Status check_object_stack(const std::vector<Instruction>& code, std::string_view where) {
  if (code.empty() || code[0].opcode != op_arg_count) return ok_status();  // the depth is not known
  std::unordered_map<std::uint32_t, std::size_t> index;
  for (std::size_t i = 0; i < code.size(); ++i) index[code[i].offset] = i;
  std::vector<std::int64_t> depth(code.size(), -1);  // -1: not reached yet
  std::vector<std::size_t> work;
  auto reach = [&](std::uint32_t offset, std::int64_t d) -> bool {  // false: paths meet with different depths
    auto it = index.find(offset);
    if (it == index.end()) return true;  // the end of the code: reported at run time
    if (depth[it->second] == -1) {
      depth[it->second] = d;
      work.push_back(it->second);
      return true;
    }
    return depth[it->second] == d;
  };
  if (code.size() < 2) return ok_status();
  reach(code[1].offset, code[0].a);
  while (!work.empty()) {
    std::size_t i = work.back();
    work.pop_back();
    const Instruction& in = code[i];
    std::int64_t d = depth[i];
    auto effect = object_effect(in);
    if (!effect) return ok_status();  // from here on the depth depends on run time
    if (d < effect->needs)
      return make_error(Errc::corrupt, "{}: bytecode offset {}: {} needs {} object(s) on the stack, which holds {} here",
                        where, in.offset, op_info(in.opcode).mnemonic, effect->needs, d);
    std::int64_t next = d + effect->change;
    std::uint8_t op = in.opcode;
    if (op == op_ret || op == op_throw) continue;
    if (op == op_push_catcher) {  // the handler is entered at a run-time depth; only fall through
      if (!reach(in.offset + in.length, next)) return ok_status();
      continue;
    }
    for (std::uint32_t t : in.targets)
      if (!reach(t, next)) return ok_status();
    if (op != op_jmp && !reach(in.offset + in.length, next)) return ok_status();
  }
  return ok_status();
}

}  // namespace phantom::classfile
