// Assembler: text to ClassFile (class-file layer). May call: util/ only.
// One directive or instruction per line; ';' starts a comment. Labels end with ':'. See docs/assembler.md.
#include "classfile/assembler.h"

#include <algorithm>
#include <charconv>
#include <map>

#include "classfile/bytecode.h"
#include "classfile/opcodes.h"

namespace phantom::classfile {
namespace {

struct Fixup {
  std::size_t at;        // offset of the displacement field
  std::string label;
  int line;
};

class Assembler {
 public:
  Assembler(std::string_view source, std::string_view file) : source_(source), file_name_(file) {}

  Result<ClassFile> run() {
    std::size_t pos = 0;
    while (pos <= source_.size()) {
      std::size_t end = source_.find('\n', pos);
      if (end == std::string_view::npos) end = source_.size();
      ++line_;
      text_ = source_.substr(pos, end - pos);
      at_ = 0;
      if (auto status = statement(); !status.ok()) return status.error();
      pos = end + 1;
    }
    if (in_method_) return error_at(method_line_, "method has no .end");
    if (!have_class_) return error_at(1, "no .class directive");
    if (!explicit_fields_) {
      for (const FieldName& f : file_.fields) file_.header.object_slots = std::max(file_.header.object_slots, f.ordinal + 1);
    }
    if (!explicit_slots_) {
      std::int32_t slots = 16;
      for (const Method& m : file_.methods) slots = std::max(slots, m.ordinal + 1);
      file_.header.method_slots = slots;
    }
    for (const Method& m : file_.methods)
      if (m.ordinal >= file_.header.method_slots)
        return make_error(Errc::invalid_argument, "{}: method {} has ordinal {} but the class has {} method slots",
                          file_name_, m.name, m.ordinal, file_.header.method_slots);
    return std::move(file_);
  }

 private:
  Error error_at(int line, std::string_view what) {
    return make_error(Errc::invalid_argument, "{}:{}: {}", file_name_, line, what);
  }
  Error error(std::string_view what) { return error_at(line_, what); }

  void skip_space() {
    while (at_ < text_.size() && (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\r')) ++at_;
  }
  bool at_end() {
    skip_space();
    return at_ >= text_.size() || text_[at_] == ';';
  }
  std::string_view word() {
    skip_space();
    std::size_t start = at_;
    while (at_ < text_.size() && text_[at_] != ' ' && text_[at_] != '\t' && text_[at_] != ';' && text_[at_] != '\r') ++at_;
    return text_.substr(start, at_ - start);
  }
  Result<std::int64_t> number(std::int64_t min, std::int64_t max) {
    std::string_view w = word();
    if (w.empty()) return error("a number is missing");
    bool negative = w[0] == '-';
    std::string_view digits = negative ? w.substr(1) : w;
    int base = 10;
    if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
      base = 16;
      digits = digits.substr(2);
    }
    std::uint64_t v = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, base);
    if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty())
      return error(fmt::format("'{}' is not a number", w));
    if (v > (negative ? std::uint64_t(INT64_MAX) + 1 : std::uint64_t(INT64_MAX)) && !(base == 16 && !negative))
      return error(fmt::format("{} is out of range", w));
    std::int64_t value = negative ? static_cast<std::int64_t>(0 - v) : static_cast<std::int64_t>(v);
    if (value < min || value > max) return error(fmt::format("{} is out of range {}..{}", w, min, max));
    return value;
  }
  Result<std::string> quoted() {
    skip_space();
    if (at_ >= text_.size() || text_[at_] != '"') return error("a quoted string is missing");
    std::string out;
    for (++at_; at_ < text_.size(); ++at_) {
      char ch = text_[at_];
      if (ch == '"') {
        ++at_;
        return out;
      }
      if (ch != '\\') {
        out.push_back(ch);
        continue;
      }
      if (++at_ >= text_.size()) break;
      switch (text_[at_]) {
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case '0': out.push_back('\0'); break;
        case '\\': out.push_back('\\'); break;
        case '"': out.push_back('"'); break;
        case 'x': {
          if (at_ + 2 >= text_.size()) return error("\\x needs two hex digits");
          unsigned v = 0;
          auto [end, ec] = std::from_chars(text_.data() + at_ + 1, text_.data() + at_ + 3, v, 16);
          if (ec != std::errc() || end != text_.data() + at_ + 3) return error("\\x needs two hex digits");
          out.push_back(static_cast<char>(v));
          at_ += 2;
          break;
        }
        default: return error(fmt::format("unknown escape \\{}", text_[at_]));
      }
    }
    return error("the string has no closing quote");
  }
  Status done() {
    if (!at_end()) return error(fmt::format("unexpected '{}'", word()));
    return ok_status();
  }

  void emit(std::uint8_t b) { method_.code.push_back(b); }
  void emit_be(std::int64_t v, int bytes) {
    for (int i = bytes - 1; i >= 0; --i) emit(static_cast<std::uint8_t>(static_cast<std::uint64_t>(v) >> (8 * i)));
  }
  void emit_str(const std::string& s) {
    emit_be(static_cast<std::int64_t>(s.size()), 4);
    method_.code.insert(method_.code.end(), s.begin(), s.end());
  }
  Status emit_rel() {
    std::string_view label = word();
    if (label.empty()) return error("a label is missing");
    fixups_.push_back({method_.code.size(), std::string(label), line_});
    emit_be(0, 4);
    return ok_status();
  }

  Status statement() {
    if (at_end()) return ok_status();
    std::string_view head = word();
    if (head[0] == '.') return directive(head);
    if (!in_method_) return error(fmt::format("'{}' outside a method (.method ... .end)", head));
    if (head.back() == ':') {
      std::string label(head.substr(0, head.size() - 1));
      if (label.empty()) return error("empty label");
      if (!labels_.emplace(label, static_cast<std::uint32_t>(method_.code.size())).second)
        return error(fmt::format("label {} is defined twice", label));
      if (at_end()) return ok_status();
      head = word();
    }
    if (head == ":long" || head == ":float" || head == ":double") {
      emit(head == ":long" ? op_prefix_long : head == ":float" ? op_prefix_float : op_prefix_double);
      if (at_end()) return ok_status();
      head = word();
    }
    return instruction(head);
  }

  Status instruction(std::string_view mnemonic) {
    if (mnemonic == "call") {  // call ORDINAL NARGS: the shortest encoding
      PHANTOM_ASSIGN(auto ordinal, number(0, INT32_MAX));
      PHANTOM_ASSIGN(auto nargs, number(0, INT32_MAX));
      if (ordinal < 32 && nargs < 256) {
        emit(static_cast<std::uint8_t>(op_call_00 + ordinal));
        emit(static_cast<std::uint8_t>(nargs));
      } else {
        emit(op_call_32bit);
        emit_be(ordinal, 4);
        emit_be(nargs, 4);
      }
      return done();
    }
    if (mnemonic == "const") {  // const N: iconst_32bit
      PHANTOM_ASSIGN(auto value, number(INT32_MIN, UINT32_MAX));
      emit(op_iconst_32bit);
      emit_be(value, 4);
      return done();
    }
    auto op = op_by_mnemonic(mnemonic);
    if (!op) return error(fmt::format("unknown instruction '{}'", mnemonic));
    emit(*op);
    switch (op_info(*op).operands) {
      case Operands::none: break;
      case Operands::u8: { PHANTOM_ASSIGN(auto v, number(0, 255)); emit(static_cast<std::uint8_t>(v)); break; }
      case Operands::i32: { PHANTOM_ASSIGN(auto v, number(INT32_MIN, UINT32_MAX)); emit_be(v, 4); break; }
      case Operands::i64: { PHANTOM_ASSIGN(auto v, number(INT64_MIN, INT64_MAX)); emit_be(v, 8); break; }
      case Operands::str: {  // a bare word is accepted too: summon_by_name .my.class
        skip_space();
        if (at_ < text_.size() && text_[at_] != '"') {
          std::string_view bare = word();
          emit_str(std::string(bare));
          break;
        }
        PHANTOM_ASSIGN(auto s, quoted());
        emit_str(s);
        break;
      }
      case Operands::rel: PHANTOM_TRY(emit_rel()); break;
      case Operands::u8_u8: {
        PHANTOM_ASSIGN(auto a, number(0, 255));
        PHANTOM_ASSIGN(auto b, number(0, 255));
        emit(static_cast<std::uint8_t>(a));
        emit(static_cast<std::uint8_t>(b));
        break;
      }
      case Operands::u8_i32: {
        PHANTOM_ASSIGN(auto a, number(0, 255));
        PHANTOM_ASSIGN(auto b, number(INT32_MIN, INT32_MAX));
        emit(static_cast<std::uint8_t>(a));
        emit_be(b, 4);
        break;
      }
      case Operands::i32_i32: {
        PHANTOM_ASSIGN(auto a, number(INT32_MIN, INT32_MAX));
        PHANTOM_ASSIGN(auto b, number(INT32_MIN, INT32_MAX));
        emit_be(a, 4);
        emit_be(b, 4);
        break;
      }
      case Operands::debug: {
        PHANTOM_ASSIGN(auto mode, number(0, 255));
        emit(static_cast<std::uint8_t>(mode));
        if (mode & 0x80) {
          PHANTOM_ASSIGN(auto s, quoted());
          emit_str(s);
        }
        break;
      }
      case Operands::switch_: {  // switch SHIFT DIV LABEL...
        PHANTOM_ASSIGN(auto shift, number(INT32_MIN, INT32_MAX));
        PHANTOM_ASSIGN(auto div, number(INT32_MIN, INT32_MAX));
        std::size_t count_at = method_.code.size();
        emit_be(0, 4);
        emit_be(shift, 4);
        emit_be(div, 4);
        std::int64_t n = 0;
        while (!at_end()) {
          PHANTOM_TRY(emit_rel());
          ++n;
        }
        for (int i = 0; i < 4; ++i) method_.code[count_at + i] = static_cast<std::uint8_t>(n >> (24 - 8 * i));
        break;
      }
    }
    return done();
  }

  Status directive(std::string_view name) {
    if (name == ".class") {
      if (have_class_) return error(".class given twice");
      std::string_view n = word();
      if (n.empty()) return error(".class needs a name");
      file_.header.name = std::string(n);
      have_class_ = true;
      return done();
    }
    if (!have_class_) return error(fmt::format("{} before .class", name));
    if (name == ".method") {
      if (in_method_) return error("a .method inside a method (missing .end)");
      method_ = Method{};
      method_.name = std::string(word());
      if (method_.name.empty()) return error(".method needs a name and an ordinal");
      PHANTOM_ASSIGN(auto ordinal, number(0, INT32_MAX));
      method_.ordinal = static_cast<std::int32_t>(ordinal);
      for (const Method& m : file_.methods)
        if (m.ordinal == method_.ordinal) return error(fmt::format("ordinal {} is already used by {}", ordinal, m.name));
      in_method_ = true;
      method_line_ = line_;
      labels_.clear();
      fixups_.clear();
      lines_ = LineMap{method_.ordinal, {}};
      return done();
    }
    if (name == ".end") {
      if (!in_method_) return error(".end outside a method");
      for (const Fixup& f : fixups_) {
        auto it = labels_.find(f.label);
        if (it == labels_.end()) return error_at(f.line, fmt::format("undefined label {}", f.label));
        std::int64_t disp = static_cast<std::int64_t>(it->second) - static_cast<std::int64_t>(f.at);
        for (int i = 0; i < 4; ++i) method_.code[f.at + i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(disp) >> (24 - 8 * i));
      }
      auto decoded = decode_code(method_.code, fmt::format("{}:{}: method {}", file_name_, method_line_, method_.name));
      if (!decoded.ok()) return decoded.error();
      file_.methods.push_back(std::move(method_));
      if (!lines_.entries.empty()) file_.line_maps.push_back(std::move(lines_));
      in_method_ = false;
      return done();
    }
    if (name == ".line") {
      if (!in_method_) return error(".line outside a method");
      PHANTOM_ASSIGN(auto n, number(0, INT32_MAX));
      lines_.entries.push_back({static_cast<std::int64_t>(method_.code.size()), static_cast<std::int32_t>(n)});
      return done();
    }
    if (in_method_) return error(fmt::format("{} inside a method", name));
    if (name == ".parent") {
      file_.header.parent = std::string(word());
      if (file_.header.parent.empty()) return error(".parent needs a class name");
      return done();
    }
    if (name == ".fields") {
      PHANTOM_ASSIGN(auto n, number(0, INT32_MAX));
      file_.header.object_slots = static_cast<std::int32_t>(n);
      explicit_fields_ = true;
      return done();
    }
    if (name == ".slots") {
      PHANTOM_ASSIGN(auto n, number(0, INT32_MAX));
      file_.header.method_slots = static_cast<std::int32_t>(n);
      explicit_slots_ = true;
      return done();
    }
    if (name == ".version") {
      PHANTOM_ASSIGN(auto v, quoted());
      file_.header.version = v;
      return done();
    }
    if (name == ".field") {  // .field NAME ORDINAL [TYPE]
      FieldName f;
      f.name = std::string(word());
      PHANTOM_ASSIGN(auto ordinal, number(0, INT32_MAX));
      f.ordinal = static_cast<std::int32_t>(ordinal);
      f.type.main = at_end() ? ".internal.object" : std::string(word());
      file_.fields.push_back(std::move(f));
      return done();
    }
    if (name == ".const") {  // .const ID "text"
      Constant k;
      PHANTOM_ASSIGN(auto id, number(0, INT32_MAX));
      k.id = static_cast<std::int32_t>(id);
      k.type.main = ".internal.string";
      PHANTOM_ASSIGN(auto text, quoted());
      k.value.assign(text.begin(), text.end());
      file_.constants.push_back(std::move(k));
      return done();
    }
    return error(fmt::format("unknown directive {}", name));
  }

  std::string_view source_;
  std::string file_name_;
  std::string_view text_;
  std::size_t at_ = 0;
  int line_ = 0;
  ClassFile file_{};
  bool have_class_ = false, explicit_fields_ = false, explicit_slots_ = false, in_method_ = false;
  int method_line_ = 0;
  Method method_;
  LineMap lines_;
  std::map<std::string, std::uint32_t> labels_;
  std::vector<Fixup> fixups_;
};

}  // namespace

Result<ClassFile> assemble(std::string_view source, std::string_view file_name) {
  return Assembler(source, file_name).run();
}

}  // namespace phantom::classfile
