// Lexer (compiler layer, spec/language.md §1).
#include "plc/lexer.h"

#include <array>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string_view>

#include <fmt/format.h>

namespace phantom::plc {
namespace {

// Longest first, so that the first match is the maximal munch.
constexpr std::array<std::string_view, 38> punctuators = {
    ">>>", "!->", "->!", ":==", ":!=", "||", "&&", "==", "!=", ">=", "<=", ".=", "<<", ">>",
    "@", "{", "}", "+", "-", "/", "*", "%", "!", "|", "&", "^", "~", ">", "<", "=", ":", ".", ";", ",",
    "[", "]", "(", ")"};

constexpr std::array<std::string_view, 29> keywords = {
    "attribute", "package", "import", "class", "interface", "public", "static", "extends", "implements",
    "if", "else", "while", "do", "foreach", "in", "return", "switch", "case", "default", "break",
    "continue", "try", "catch", "throw", "var", "void", "null", "new", "this"};

bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' || (c >= 0x1C && c <= 0x1F); }
bool is_ident_start(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$'; }
bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
bool is_ident_part(unsigned char c) { return is_ident_start(c) || is_digit(c); }

class Lexer {
 public:
  Lexer(const SourceFile& file, DiagnosticSink& sink) : file_(file), text_(file.text), sink_(sink) {}

  std::vector<Token> run() {
    std::vector<Token> out;
    for (;;) {
      skip_space_and_comments();
      Token t;
      t.where = here();
      if (pos_ >= text_.size()) {
        t.kind = TokenKind::end_of_file;
        out.push_back(std::move(t));
        return out;
      }
      if (next(t)) out.push_back(std::move(t));
    }
  }

 private:
  Location here() const {
    Location l{&file_, line_, static_cast<std::uint32_t>(pos_ - line_start_ + 1)};
    return l;
  }
  void advance() {
    char c = text_[pos_++];
    if (c == '\n' || (c == '\r' && (pos_ >= text_.size() || text_[pos_] != '\n'))) {
      ++line_;
      line_start_ = pos_;
    }
  }
  unsigned char peek(std::size_t ahead = 0) const { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : 0; }

  void skip_space_and_comments() {
    for (;;) {
      while (pos_ < text_.size() && is_space(peek())) advance();
      if (peek() == '/' && peek(1) == '/') {
        while (pos_ < text_.size() && peek() != '\n') advance();
        continue;
      }
      if (peek() == '/' && peek(1) == '*') {
        Location start = here();
        advance();
        advance();
        while (pos_ < text_.size() && !(peek() == '*' && peek(1) == '/')) advance();
        if (pos_ >= text_.size()) {
          sink_.error(start, "unterminated comment: '/*' has no matching '*/'");
          return;
        }
        advance();
        advance();
        continue;
      }
      return;
    }
  }

  // Reads one token into `t`; false when the characters were skipped after an error.
  bool next(Token& t) {
    unsigned char c = peek();
    if (is_ident_start(c)) {
      std::size_t start = pos_;
      while (pos_ < text_.size() && is_ident_part(peek())) advance();
      t.text = text_.substr(start, pos_ - start);
      t.kind = TokenKind::identifier;
      for (auto k : keywords)
        if (t.text == k) t.kind = TokenKind::keyword;
      return true;
    }
    if (is_digit(c)) return number(t);
    if (c == '"') return string(t);
    if (c == ':' && peek(1) == '=' && peek(2) != '=') {
      sink_.error(t.where, "':=' is not an operator; assignment is written '='");
      advance();
      advance();
      return false;
    }
    for (auto p : punctuators) {
      if (text_.compare(pos_, p.size(), p) == 0) {
        for (std::size_t i = 0; i < p.size(); ++i) advance();
        t.kind = TokenKind::punctuator;
        t.text = std::string(p);
        return true;
      }
    }
    advance();
    sink_.error(t.where, fmt::format("unexpected character {} in the source", printable(c)));
    return false;
  }

  static std::string printable(unsigned char c) {
    if (c >= 0x20 && c < 0x7F) return fmt::format("'{}'", static_cast<char>(c));
    return fmt::format("0x{:02X}", c);
  }

  bool number(Token& t) {
    std::size_t start = pos_;
    // Floating-point literal (our extension): digits '.' digits, or digits with an exponent.
    std::size_t scan = pos_;
    while (scan < text_.size() && is_digit(text_[scan])) ++scan;
    bool fraction = scan + 1 < text_.size() && text_[scan] == '.' && is_digit(text_[scan + 1]);
    std::size_t after_fraction = scan;
    if (fraction) {
      after_fraction = scan + 1;
      while (after_fraction < text_.size() && is_digit(text_[after_fraction])) ++after_fraction;
    }
    bool exponent = false;
    if (after_fraction < text_.size() && (text_[after_fraction] == 'e' || text_[after_fraction] == 'E')) {
      std::size_t e = after_fraction + 1;
      if (e < text_.size() && (text_[e] == '+' || text_[e] == '-')) ++e;
      exponent = e < text_.size() && is_digit(text_[e]);
      if (exponent) {
        while (e < text_.size() && is_digit(text_[e])) ++e;
        after_fraction = e;
      }
    }
    if ((fraction || exponent) && !(text_[start] == '0' && start + 1 < text_.size() && text_[start + 1] == 'x')) {
      while (pos_ < after_fraction) advance();
      t.kind = TokenKind::floating;
      t.text = text_.substr(start, pos_ - start);
      t.real = std::strtod(t.text.c_str(), nullptr);
      if (peek() == 'f' || peek() == 'F') {
        t.is_float = true;
        advance();
      }
      if (std::isinf(t.real)) sink_.error(t.where, fmt::format("floating-point literal {} is too large", t.text));
      return true;
    }

    t.kind = TokenKind::integer;
    unsigned base = 10;
    if (peek() == '0' && peek(1) == 'x') {
      base = 16;
      advance();
      advance();
      if (!std::isxdigit(peek())) {
        sink_.error(t.where, "hexadecimal literal '0x' has no digits");
        t.text = "0x";
        return true;
      }
    } else if (peek() == '0' && is_digit(peek(1))) {
      base = 8;
    }
    unsigned __int128 value = 0;
    bool overflow = false, bad_digit = false;
    while (pos_ < text_.size()) {
      unsigned char d = peek();
      unsigned v;
      if (is_digit(d)) v = d - '0';
      else if (base == 16 && std::isxdigit(d)) v = (std::tolower(d) - 'a') + 10;
      else break;
      if (v >= base) bad_digit = true;
      value = value * base + v;
      if (value > static_cast<unsigned __int128>(INT64_MAX)) overflow = true;
      advance();
    }
    t.text = text_.substr(start, pos_ - start);
    if (bad_digit) sink_.error(t.where, fmt::format("'{}' is not an octal number: a literal starting with 0 is octal (digits 0-7)", t.text));
    if (overflow) {
      sink_.error(t.where, fmt::format("integer literal {} is too large (the limit is 9223372036854775807)", t.text));
      value = 0;
    }
    t.value = static_cast<std::int64_t>(value);
    if (peek() == 'L' && !is_ident_part(peek(1))) {
      t.is_long = true;
      advance();
    }
    return true;
  }

  bool string(Token& t) {
    Location start = here();
    advance();  // the opening quote
    std::string bytes;
    for (;;) {
      if (pos_ >= text_.size()) {
        sink_.error(start, "unterminated string literal: the closing '\"' is missing");
        break;
      }
      char c = text_[pos_];
      if (c == '"') {
        advance();
        break;
      }
      if (c != '\\') {
        bytes += c;
        advance();
        continue;
      }
      Location escape = here();
      advance();
      char e = pos_ < text_.size() ? text_[pos_] : '\0';
      switch (e) {
        case 'n': bytes += '\n'; break;
        case 'r': bytes += '\r'; break;
        case 't': bytes += '\t'; break;
        case '"': bytes += '"'; break;
        case '\\': bytes += '\\'; break;  // our extension (spec/language.md Appendix B, quirk 2)
        case 'b': bytes += '\x07'; break;  // BEL, as in the original (quirk 2)
        default:
          sink_.error(escape, fmt::format("unknown escape sequence '\\{}' (known: \\n \\r \\t \\\" \\\\ \\b)",
                                          e ? std::string(1, e) : std::string()));
      }
      if (pos_ < text_.size()) advance();
    }
    t.kind = TokenKind::string;
    t.text = std::move(bytes);
    return true;
  }

  const SourceFile& file_;
  const std::string& text_;
  DiagnosticSink& sink_;
  std::size_t pos_ = 0;
  std::uint32_t line_ = 1;
  std::size_t line_start_ = 0;
};

}  // namespace

std::vector<Token> lex(const SourceFile& file, DiagnosticSink& sink) { return Lexer(file, sink).run(); }

std::string describe(const Token& token) {
  switch (token.kind) {
    case TokenKind::identifier: return fmt::format("identifier '{}'", token.text);
    case TokenKind::keyword: return fmt::format("keyword '{}'", token.text);
    case TokenKind::punctuator: return fmt::format("'{}'", token.text);
    case TokenKind::string: return "a string literal";
    case TokenKind::integer: return fmt::format("number {}", token.text);
    case TokenKind::floating: return fmt::format("number {}", token.text);
    case TokenKind::end_of_file: return "end of file";
  }
  return "?";
}

}  // namespace phantom::plc
