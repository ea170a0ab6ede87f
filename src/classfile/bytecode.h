// Bytecode: decoding and load-time verification of a method's code (class-file layer).
// A method is checked once, when its class is loaded: every opcode is valid, every operand lies inside
// the code, every jump lands on an instruction start (or the end, which the interpreter reports as
// "ran off the end"), a type prefix is followed by an ordinary instruction, and a switch divides by a
// non-zero number. What depends on run-time values (stack depths, field and method indices) is checked
// by the interpreter.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace phantom::classfile {

struct Instruction {
  std::uint32_t offset = 0;
  std::uint32_t length = 0;   // opcode byte and operands
  std::uint8_t opcode = 0;
  std::int64_t a = 0;         // first numeric operand (ordinal, value, count, switch n, debug mode)
  std::int64_t b = 0;         // second numeric operand (argument count, switch shift, int cells)
  std::int64_t c = 0;         // switch div
  std::string text;           // str operand, debug text
  std::vector<std::uint32_t> targets;  // absolute jump targets, in operand order
};

// Decodes and verifies `code`; `where` names the method in messages ("class .a.b method run (ordinal 8)").
Result<std::vector<Instruction>> decode_code(std::span<const std::uint8_t> code, std::string_view where);

// Proves, where it can be known, that no path pops the object stack below empty. The depth is known
// after the prologue `arg_count N` (the caller passed exactly N objects) and is followed along every
// path until it depends on run time (`sys` and `dynamic_invoke` take their count from the integer
// stack) or two paths meet with different depths; catch handlers are entered at run-time depths and
// are not followed from `push_catcher`. The integer stack is left to run time (its cell counts depend
// on the type prefixes). Fails with the offset of the first instruction that must underflow.
Status check_object_stack(const std::vector<Instruction>& code, std::string_view where);

}  // namespace phantom::classfile
