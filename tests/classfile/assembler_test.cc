// Assembler and disassembler: every opcode round-trips, errors name the line, the verifier rejects
// malformed code with the offset.
#include <gtest/gtest.h>

#include "classfile/assembler.h"
#include "classfile/bytecode.h"
#include "classfile/opcodes.h"

namespace phantom::classfile {
namespace {

TEST(Assembler, EveryOpcodeRoundTripsThroughTheDisassembler) {
  std::string body;
  int count = 0;
  for (int op = 0; op < 256; ++op) {
    const OpInfo& info = op_info(static_cast<std::uint8_t>(op));
    if (info.mnemonic.empty() || is_prefix(static_cast<std::uint8_t>(op))) continue;
    ++count;
    std::string line = "  " + std::string(info.mnemonic);
    switch (info.operands) {
      case Operands::none: break;
      case Operands::u8: line += " 7"; break;
      case Operands::i32: line += " -5"; break;
      case Operands::i64: line += " 5000000000"; break;
      case Operands::str: line += " \"a\\n\\\"b\\x01\""; break;
      case Operands::rel: line += " top"; break;
      case Operands::u8_u8: line += " 1 2"; break;
      case Operands::u8_i32: line += " 3 4"; break;
      case Operands::i32_i32: line += " 5 6"; break;
      case Operands::debug: line += " 129 \"dbg\""; break;
      case Operands::switch_: line += " 1 2 top top"; break;
    }
    body += line + "\n";
  }
  EXPECT_EQ(count, 121);  // 124 valid byte values (iremul and iremlu included) less the three prefixes
  std::string source = ".class .t.all\n.method all 16\ntop:\n" + body + "  :long isum\n  :double fromi\n  ret\n.end\n";
  auto file = assemble(source, "all.pa");
  ASSERT_TRUE(file.ok()) << file.error().message;
  auto text = disassemble(*file);
  ASSERT_TRUE(text.ok()) << text.error().message;
  auto again = assemble(*text, "again.pa");
  ASSERT_TRUE(again.ok()) << again.error().message << "\n" << *text;
  EXPECT_EQ(again->methods[0].code, file->methods[0].code);
  EXPECT_EQ(again->header, file->header);
}

TEST(Assembler, ErrorsNameTheLine) {
  auto r = assemble(".class .t.x\n.method m 16\n  bogus 1\n.end\n", "x.pa");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "x.pa:3: unknown instruction 'bogus'");
  r = assemble(".class .t.x\n.method m 16\n  jmp nowhere\n.end\n", "x.pa");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "x.pa:3: undefined label nowhere");
  r = assemble(".class .t.x\n.method m 16\n  iconst_8bit 300\n.end\n", "x.pa");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "x.pa:3: 300 is out of range 0..255");
  r = assemble(".class .t.x\n.method m 16\n  ret\n", "x.pa");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "x.pa:2: method has no .end");
}

TEST(Verifier, RejectsMalformedCodeWithTheOffset) {
  struct Case {
    std::vector<std::uint8_t> code;
    const char* message;
  } cases[] = {
      {{0x08, 0x5B}, "m: bytecode offset 1: unknown opcode 0x5B"},
      {{0x23, 0x00, 0x00}, "m: bytecode offset 0: operands of iconst_32bit run past the end of the code"},
      {{0x06, 0x00, 0x00, 0x00, 0x02, 0x08}, "m: bytecode offset 0: jump target 3 is inside an instruction"},
      {{0x06, 0x7F, 0x00, 0x00, 0x00}, "m: bytecode offset 0: jump target outside the code"},
      {{0x5C, 0x5D, 0x42}, "m: bytecode offset 1: a type prefix follows a type prefix"},
      {{0x42, 0x5C}, "m: bytecode offset 1: the code ends with a type prefix"},
      {{0x07, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, "m: bytecode offset 0: switch divides by zero"},
      {{0x24, 0x7F, 0xFF, 0xFF, 0xFF}, "m: bytecode offset 0: string operand of 2147483647 bytes runs past the end of the code"},
  };
  for (const Case& c : cases) {
    auto r = decode_code(c.code, "m");
    ASSERT_FALSE(r.ok()) << c.message;
    EXPECT_EQ(r.error().message, c.message);
  }
}

}  // namespace
}  // namespace phantom::classfile
