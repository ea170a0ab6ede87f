// Opcodes: the PVM instruction set of spec/pvm.md §2.2 as one table (class-file layer).
// The assembler, the disassembler, the load-time verifier and the interpreter all read this table, so a
// mnemonic, an operand layout or a byte value is written down exactly once.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace phantom::classfile {

// How the operand bytes that follow an opcode byte are laid out (all numbers big-endian).
enum class Operands : std::uint8_t {
  none,
  u8,         // one unsigned byte
  i32,        // int32
  i64,        // int64
  str,        // int32 length + bytes
  rel,        // int32 displacement from the displacement field itself
  u8_u8,      // stack_reserve: object slots, integer cells
  u8_i32,     // call_8bit: ordinal, argument count
  i32_i32,    // call_32bit, static_invoke: ordinal, argument count
  debug,      // u8 mode, then a str when mode & 0x80
  switch_,    // i32 n, i32 shift, i32 div, n x rel (each relative to its own offset)
};

enum Op : std::uint8_t {
  op_nop = 0x00, op_debug = 0x01, op_djnz = 0x04, op_jz = 0x05, op_jmp = 0x06, op_switch = 0x07, op_ret = 0x08,
  op_short_call_0 = 0x09, op_short_call_1 = 0x0A, op_short_call_2 = 0x0B, op_short_call_3 = 0x0C,
  op_call_8bit = 0x0D, op_call_32bit = 0x0E, op_sys = 0x0F,
  op_is_dup = 0x10, op_is_drop = 0x11, op_os_dup = 0x12, op_os_drop = 0x13,
  op_os_load8 = 0x14, op_os_save8 = 0x15, op_os_load32 = 0x16, op_os_save32 = 0x17, op_new = 0x18,
  op_os_pull32 = 0x1C, op_os_get32 = 0x1E, op_os_set32 = 0x1F,
  op_iconst_0 = 0x20, op_iconst_1 = 0x21, op_iconst_8bit = 0x22, op_iconst_32bit = 0x23, op_sconst_bin = 0x24,
  op_iconst_64bit = 0x25, op_is_get32 = 0x26, op_is_set32 = 0x27, op_const_pool = 0x28, op_stack_reserve = 0x29,
  op_cast = 0x2B, op_push_catcher = 0x2D, op_pop_catcher = 0x2E, op_throw = 0x2F,
  op_summon_thread = 0x30, op_summon_this = 0x31, op_summon_null = 0x37, op_summon_class_class = 0x38,
  op_summon_int_class = 0x39, op_summon_string_class = 0x3A, op_summon_interface_class = 0x3B,
  op_summon_code_class = 0x3C, op_summon_array_class = 0x3D, op_summon_by_name = 0x3F,
  op_i2o = 0x40, op_o2i = 0x41, op_isum = 0x42, op_imul = 0x43, op_isubul = 0x44, op_isublu = 0x45,
  op_idivul = 0x46, op_idivlu = 0x47, op_ior = 0x48, op_iand = 0x49, op_ixor = 0x4A, op_inot = 0x4B,
  op_log_or = 0x4C, op_log_and = 0x4D, op_log_xor = 0x4E, op_log_not = 0x4F,
  op_is_load8 = 0x50, op_is_save8 = 0x51, op_ige = 0x52, op_ile = 0x53, op_igt = 0x54, op_ilt = 0x55,
  op_iremul = 0x56, op_iremlu = 0x57, op_os_eq = 0x58, op_os_neq = 0x59, op_os_isnull = 0x5A,
  op_prefix_long = 0x5C, op_prefix_float = 0x5D, op_prefix_double = 0x5E,
  op_general_lock = 0x62, op_general_unlock = 0x63, op_static_invoke = 0x6E, op_dynamic_invoke = 0x6F,
  op_ishl = 0x70, op_ishr = 0x71, op_ushr = 0x72, op_arg_count = 0x73,
  op_fromi = 0x74, op_froml = 0x75, op_fromf = 0x76, op_fromd = 0x77,
  op_call_00 = 0xA0, op_call_1f = 0xBF,
};

struct OpInfo {
  std::string_view mnemonic;  // empty: not a valid opcode
  Operands operands = Operands::none;
};

// The entry for every byte value; invalid values have an empty mnemonic.
const OpInfo& op_info(std::uint8_t opcode);
// The opcode named `mnemonic` (spec names, e.g. "iconst_32bit", "call_1f"), if any.
std::optional<std::uint8_t> op_by_mnemonic(std::string_view mnemonic);

inline bool is_prefix(std::uint8_t op) { return op >= op_prefix_long && op <= op_prefix_double; }
inline bool is_short_call(std::uint8_t op) { return op >= op_call_00 && op <= op_call_1f; }

}  // namespace phantom::classfile
