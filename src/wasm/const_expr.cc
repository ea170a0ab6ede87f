// Constant expressions: the constant instructions and their immediates (wasm layer).
// May call: util/ only.
#include "wasm/const_expr.h"

#include "wasm/type_reader.h"

namespace phantom::wasm {
namespace {

// Opcodes (spec 5.4) of the instructions a constant expression may hold.
enum Opcode : std::uint8_t {
  op_end = 0x0b,
  op_global_get = 0x23,
  op_i32_const = 0x41,
  op_i64_const = 0x42,
  op_f32_const = 0x43,
  op_f64_const = 0x44,
  op_ref_null = 0xd0,
  op_ref_func = 0xd2,
  op_simd_prefix = 0xfd,
};
constexpr std::uint32_t simd_v128_const = 12;  // after the 0xfd prefix

Status read_v128(BinaryReader& reader, std::string_view what, ConstInstr& instr) {
  const std::size_t at = reader.offset();
  PHANTOM_ASSIGN(std::uint32_t sub_opcode, reader.u32(what));
  if (sub_opcode != simd_v128_const)
    return reader.error_at(at, fmt::format("{}: 0xfd {} is not a constant instruction (constant expression "
                                           "required)", what, sub_opcode));
  instr.op = ConstInstr::Op::v128_const;
  for (auto& lane_byte : instr.v128) {
    PHANTOM_ASSIGN(std::uint64_t value, reader.fixed(1, what));
    lane_byte = static_cast<std::uint8_t>(value);
  }
  return ok_status();
}

// Reads the immediates of the instruction `opcode` (already read, at offset `at`).
Result<ConstInstr> read_const_instr(BinaryReader& reader, std::uint8_t opcode, std::size_t at, std::string_view what) {
  ConstInstr instr;
  switch (opcode) {
    case op_i32_const: {
      instr.op = ConstInstr::Op::i32_const;
      PHANTOM_ASSIGN(instr.integer, reader.s32(what));
      return instr;
    }
    case op_i64_const: {
      instr.op = ConstInstr::Op::i64_const;
      PHANTOM_ASSIGN(instr.integer, reader.s64(what));
      return instr;
    }
    case op_f32_const: {
      instr.op = ConstInstr::Op::f32_const;
      PHANTOM_ASSIGN(instr.float_bits, reader.fixed(4, what));
      return instr;
    }
    case op_f64_const: {
      instr.op = ConstInstr::Op::f64_const;
      PHANTOM_ASSIGN(instr.float_bits, reader.fixed(8, what));
      return instr;
    }
    case op_global_get: {
      instr.op = ConstInstr::Op::global_get;
      PHANTOM_ASSIGN(instr.index, reader.u32(what));
      return instr;
    }
    case op_ref_func: {
      instr.op = ConstInstr::Op::ref_func;
      PHANTOM_ASSIGN(instr.index, reader.u32(what));
      return instr;
    }
    case op_ref_null: {
      instr.op = ConstInstr::Op::ref_null;
      PHANTOM_ASSIGN(instr.ref_type, read_reference_type(reader, what));
      return instr;
    }
    case op_simd_prefix: {
      PHANTOM_TRY(read_v128(reader, what, instr));
      return instr;
    }
  }
  // An instruction of WebAssembly 2.0 that is not constant makes the module invalid (constant expression
  // required); a byte that is no opcode at all makes it malformed (illegal opcode).
  const bool known = opcode <= 0x11 || (opcode >= 0x1a && opcode <= 0x1c) || (opcode >= 0x20 && opcode <= 0x26) ||
                     (opcode >= 0x28 && opcode <= 0xc4) || (opcode >= 0xd0 && opcode <= 0xd2) || opcode == 0xfc;
  if (!known) return reader.error_at(at, fmt::format("{}: illegal opcode {:#04x}", what, opcode));
  Error error = reader.error_at(at, fmt::format("{}: opcode {:#04x} is not a constant instruction (constant expression "
                                                "required)", what, opcode));
  error.code = Errc::invalid_argument;
  return error;
}

}  // namespace

Result<ConstExpr> read_const_expr(BinaryReader& reader, std::string_view what, std::uint32_t max_instrs) {
  ConstExpr expr;
  const std::size_t start = reader.offset();
  while (true) {
    const std::size_t at = reader.offset();
    PHANTOM_ASSIGN(std::uint8_t opcode, reader.byte(fmt::format("the end (0x0b) of {}", what)));
    if (opcode == op_end) break;
    if (expr.instrs.size() >= max_instrs)
      return reader.limit_error_at(at, fmt::format("{} has more than {} instructions", what, max_instrs));
    PHANTOM_ASSIGN(ConstInstr instr, read_const_instr(reader, opcode, at, what));
    expr.instrs.push_back(instr);
  }
  expr.bytes = ByteRange{static_cast<std::uint32_t>(start), static_cast<std::uint32_t>(reader.offset() - start)};
  return expr;
}

}  // namespace phantom::wasm
