// Lexer: cuts a Phantom source file into tokens (compiler layer, spec/language.md §1).
// Tokens are cut by maximal munch over the fixed token set of §1.4/§1.5 plus our extensions
// (docs/language.md): `<<`, `>>`, `>>>` and `^` operators, floating-point literals (`1.5`, `2e3`,
// `1.5f`), long literals (`5000000000L`) and the `\\` escape. None of them changes the meaning of a
// program the original compiler accepts: each was a lexical or syntax error there.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "plc/source.h"

namespace phantom::plc {

enum class TokenKind : std::uint8_t {
  identifier,
  keyword,      // text holds the keyword
  punctuator,   // text holds the punctuator
  string,       // text holds the decoded bytes
  integer,      // value; is_long for the `L` suffix
  floating,     // real; is_float for the `f` suffix
  end_of_file,
};

struct Token {
  TokenKind kind = TokenKind::end_of_file;
  std::string text;
  std::int64_t value = 0;
  double real = 0;
  bool is_long = false;
  bool is_float = false;
  Location where;

  bool is(TokenKind k, std::string_view t) const { return kind == k && text == t; }
  bool punct(std::string_view t) const { return is(TokenKind::punctuator, t); }
  bool keyword(std::string_view t) const { return is(TokenKind::keyword, t); }
};

// Lexes the whole file. Lexical errors are reported to `sink`; the bad characters are skipped, so the
// token list always ends with end_of_file.
std::vector<Token> lex(const SourceFile& file, DiagnosticSink& sink);

// How a token reads in a message: `'class'`, `identifier 'x'`, `end of file`.
std::string describe(const Token& token);

}  // namespace phantom::plc
