// Parser internals: the recursive-descent parser's state and members, shared by parser.cc (files,
// classes, members, statements) and parser_expr.cc (expressions). Not part of the compiler's interface.
#pragma once

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "plc/parser.h"

namespace phantom::plc::parsing {

struct SyntaxError {};  // unwinds to the nearest recovery point; the message is already reported

constexpr int max_depth = 400;
constexpr std::uint32_t max_expression_height = 1000;

class Parser {
 public:
  Parser(const SourceFile& file, const std::vector<Token>& tokens, const KnownClass& known, DiagnosticSink& sink)
      : file_(file), t_(tokens), known_(known), sink_(sink) {}

  Unit run() {
    Unit unit;
    unit.file = &file_;
    while (!at_end()) {
      if (sink_.saturated()) break;
      std::size_t start = pos_;
      try {
        top_item(unit);
      } catch (const SyntaxError&) {
        sync_top();
      }
      if (pos_ == start) ++pos_;  // never stand still
    }
    return unit;
  }

 private:
  // ---- tokens ----
  const Token& cur() const { return t_[pos_]; }
  const Token& ahead(std::size_t n) const { return t_[std::min(pos_ + n, t_.size() - 1)]; }
  bool at_end() const { return cur().kind == TokenKind::end_of_file; }
  void step() {
    if (!at_end()) ++pos_;
  }
  bool accept_punct(std::string_view p) {
    if (!cur().punct(p)) return false;
    step();
    return true;
  }
  bool accept_keyword(std::string_view k) {
    if (!cur().keyword(k)) return false;
    step();
    return true;
  }
  [[noreturn]] void fail(const std::string& expected) {
    sink_.error(cur().where, fmt::format("expected {}, found {}", expected, describe(cur())));
    throw SyntaxError{};
  }
  void expect_punct(std::string_view p, std::string_view context = {}) {
    if (accept_punct(p)) return;
    fail(context.empty() ? fmt::format("'{}'", p) : fmt::format("'{}' {}", p, context));
  }
  std::string expect_identifier(std::string_view what) {
    if (cur().kind != TokenKind::identifier) fail(std::string(what));
    std::string name = cur().text;
    step();
    return name;
  }

  // Skips to just after the next ';' at this nesting level, or to a '}' that closes it.
  void sync_statement();
  void sync_top();

  // ---- names, types, attributes ----
  QualName qual_name(bool type_position);

  void attributes();

  TypeSpec type();

  // ---- top level ----
  void top_item(Unit& unit);

  void end_of_top(std::string_view what);

  ClassDecl class_decl();

  void member(ClassDecl& decl);

  // ---- statements ----
  std::vector<StmtPtr> block_items(Location& end);

  StmtPtr make(StmtKind kind);

  struct DepthGuard {
    Parser& p;
    explicit DepthGuard(Parser& parser) : p(parser) {
      if (++p.depth_ > max_depth) {
        p.sink_.error(p.cur().where, "the program is nested too deeply here");
        --p.depth_;
        throw SyntaxError{};
      }
    }
    ~DepthGuard() { --p.depth_; }
  };

  StmtPtr statement();

  ExprPtr condition(std::string_view what);

  // ---- expressions ----
  ExprPtr node(ExprKind kind, Location where);
  ExprPtr unary(std::string_view op, Location where, ExprPtr operand);
  ExprPtr binary(std::string op, Location where, ExprPtr l, ExprPtr r);
  // Operator chains (a + b + c ..., x.f().g()...) are built by loops, not recursion; their height is
  // bounded here so that the code generator's recursion is too.
  ExprPtr deepen(ExprPtr e);

  // The cast test of §2.7.2: after '(' a type name, then ')'. Returns true with `out` set, or restores
  // the position and returns false.
  bool try_cast_type(TypeSpec& out);

  // `(T) operand` when what follows '(' passes the cast test (§2.7.2); otherwise nothing is consumed.
  ExprPtr try_cast(ExprPtr (Parser::*operand)());

  ExprPtr expression();

  ExprPtr rvalue() { return logical(); }

  ExprPtr logical();

  // One left-associative level of binary operators over the next tighter level.
  ExprPtr left_assoc(ExprPtr (Parser::*next)(), std::initializer_list<std::string_view> ops);
  ExprPtr compare() { return left_assoc(&Parser::ref_compare, {"==", "!=", "<", ">", "<=", ">="}); }
  ExprPtr ref_compare() { return left_assoc(&Parser::shift, {":==", ":!="}); }
  ExprPtr shift() { return left_assoc(&Parser::add, {"<<", ">>", ">>>"}); }  // our extension; looser than + -, as in C
  ExprPtr add() { return left_assoc(&Parser::mul, {"+", "-"}); }
  ExprPtr mul() { return left_assoc(&Parser::bit, {"*", "/", "%"}); }

  ExprPtr bit();

  ExprPtr lower();

  ExprPtr literal();

  ExprPtr new_expression();

  void arguments(Expr& call);

  ExprPtr primary();

  ExprPtr postfix(ExprPtr e);

  const SourceFile& file_;
  const std::vector<Token>& t_;
  const KnownClass& known_;
  DiagnosticSink& sink_;
  std::size_t pos_ = 0;
  std::string package_;
  bool package_seen_ = false;
  int depth_ = 0;
};

}  // namespace phantom::plc::parsing
