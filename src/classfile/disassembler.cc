// Disassembler: ClassFile to the assembler's text form (class-file layer). May call: util/ only.
#include <map>
#include <set>

#include "classfile/assembler.h"
#include "classfile/bytecode.h"
#include "classfile/opcodes.h"

namespace phantom::classfile {
namespace {

std::string quote(std::string_view bytes) {
  std::string out = "\"";
  for (unsigned char ch : bytes) {
    switch (ch) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      default:
        if (ch < 0x20 || ch >= 0x7F) out += fmt::format("\\x{:02x}", ch);
        else out.push_back(static_cast<char>(ch));
    }
  }
  return out + "\"";
}

std::string label(std::uint32_t offset) { return fmt::format("L{}", offset); }

}  // namespace

Result<std::string> disassemble(const ClassFile& file) {
  std::string out;
  out += fmt::format(".class {}\n.parent {}\n.fields {}\n.slots {}\n", file.header.name, file.header.parent,
                     file.header.object_slots, file.header.method_slots);
  if (file.header.version) out += fmt::format(".version {}\n", quote(*file.header.version));
  for (const FieldName& f : file.fields)
    out += fmt::format(".field {} {} {}\n", f.name, f.ordinal, f.type.main.empty() ? ".internal.object" : f.type.main);
  for (const Constant& k : file.constants)
    out += fmt::format(".const {} {}\n", k.id, quote(std::string_view(reinterpret_cast<const char*>(k.value.data()), k.value.size())));
  for (const Method& m : file.methods) {
    auto decoded = decode_code(m.code, fmt::format("{}: method {} (ordinal {})", file.header.name, m.name, m.ordinal));
    if (!decoded.ok()) return decoded.error();
    std::set<std::uint32_t> targets;
    for (const Instruction& in : *decoded) targets.insert(in.targets.begin(), in.targets.end());
    std::multimap<std::uint32_t, std::int32_t> lines;
    for (const LineMap& map : file.line_maps)
      if (map.ordinal == m.ordinal)
        for (const LineEntry& e : map.entries) lines.emplace(static_cast<std::uint32_t>(e.ip), e.line);
    out += fmt::format("\n.method {} {}\n", m.name, m.ordinal);
    bool prefix_open = false;
    for (const Instruction& in : *decoded) {
      if (!prefix_open) {
        auto [lo, hi] = lines.equal_range(in.offset);
        for (auto it = lo; it != hi; ++it) out += fmt::format("  .line {}\n", it->second);
        if (targets.count(in.offset)) out += label(in.offset) + ":\n";
      }
      const OpInfo& info = op_info(in.opcode);
      if (is_prefix(in.opcode)) {
        std::uint32_t next = in.offset + 1;
        bool next_is_target = targets.count(next) || lines.count(next);
        std::string_view kind = in.opcode == op_prefix_long ? ":long" : in.opcode == op_prefix_float ? ":float" : ":double";
        if (next_is_target) {
          out += fmt::format("  {:<28}; @{}\n", info.mnemonic, in.offset);
        } else {
          out += fmt::format("  {} ", kind);
          prefix_open = true;
        }
        continue;
      }
      std::string text = prefix_open ? std::string(info.mnemonic) : "  " + std::string(info.mnemonic);
      switch (info.operands) {
        case Operands::none: break;
        case Operands::u8: case Operands::i32: case Operands::i64: text += fmt::format(" {}", in.a); break;
        case Operands::str: text += " " + quote(in.text); break;
        case Operands::rel: text += " " + label(in.targets[0]); break;
        case Operands::u8_u8: case Operands::u8_i32: case Operands::i32_i32: text += fmt::format(" {} {}", in.a, in.b); break;
        case Operands::debug:
          text += fmt::format(" {}", in.a);
          if (in.a & 0x80) text += " " + quote(in.text);
          break;
        case Operands::switch_:
          text += fmt::format(" {} {}", in.b, in.c);
          for (std::uint32_t t : in.targets) text += " " + label(t);
          break;
      }
      std::uint32_t at = prefix_open ? in.offset - 1 : in.offset;
      int width = prefix_open ? 22 : 30;
      out += fmt::format("{:<{}}; @{}\n", text, width, at);
      prefix_open = false;
    }
    if (targets.count(static_cast<std::uint32_t>(m.code.size()))) out += label(static_cast<std::uint32_t>(m.code.size())) + ":\n";
    out += ".end\n";
  }
  return out;
}

}  // namespace phantom::classfile
