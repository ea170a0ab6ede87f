// Parser, expressions (compiler layer, spec/language.md §2.7): precedence levels, the cast test,
// literals, `new`, calls, subscripts and assignments.
#include "plc/parser_impl.h"

namespace phantom::plc::parsing {

ExprPtr Parser::node(ExprKind kind, Location where) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->where = where;
  return e;
}

ExprPtr Parser::unary(std::string_view op, Location where, ExprPtr operand) {
  auto e = node(ExprKind::unary, where);
  e->op.assign(op.data(), op.size());
  e->target = std::move(operand);
  return e;
}

ExprPtr Parser::binary(std::string op, Location where, ExprPtr l, ExprPtr r) {
  auto e = node(ExprKind::binary, where);
  e->op = std::move(op);
  e->args.push_back(std::move(l));
  e->args.push_back(std::move(r));
  return deepen(std::move(e));
}

ExprPtr Parser::deepen(ExprPtr e) {
  std::uint32_t d = e->target ? e->target->depth : 0;
  for (const auto& a : e->args) d = std::max(d, a->depth);
  e->depth = d + 1;
  if (e->depth > max_expression_height) {
    sink_.error(e->where, "this expression is too long or too deeply nested; split it with local variables");
    throw SyntaxError{};
  }
  return e;
}

bool Parser::try_cast_type(TypeSpec& out) {
  std::size_t save = pos_;
  TypeSpec ts;
  ts.where = cur().where;
  bool ok = false;
  if (cur().keyword("void")) {
    step();
    ts.is_void = true;
    ok = true;
  } else if (cur().kind == TokenKind::identifier || cur().punct(".")) {
    QualName q;
    q.where = cur().where;
    q.package = package_;
    if (cur().punct(".")) {
      q.absolute = true;
      step();
    }
    while (cur().kind == TokenKind::identifier) {
      q.parts.push_back(cur().text);
      step();
      if (cur().punct(".") && ahead(1).kind == TokenKind::identifier) step();
      else break;
    }
    if (!q.parts.empty()) {
      std::string plain = q.text();
      std::string bare = plain.starts_with('.') ? plain.substr(1) : plain;
      static const char* shorthands[] = {"int", "long", "float", "double", "string", "object"};
      for (const char* s : shorthands)
        if (bare == s || (bare.starts_with("internal.") && bare.substr(9) == s)) ok = true;
      if (bare.starts_with("internal.")) ok = ok || known_(plain.starts_with('.') ? plain : '.' + plain);
      if (!ok) {
        std::string full = absolute_name(q);
        ok = !full.empty() && known_(full);
      }
      ts.name = std::move(q);
    }
  }
  if (ok && cur().punct("[") && ahead(1).punct("]")) {
    step();
    step();
    ts.container = true;
  }
  if (ok && cur().punct(")")) {
    step();
    out = std::move(ts);
    return true;
  }
  pos_ = save;
  return false;
}

ExprPtr Parser::try_cast(ExprPtr (Parser::*operand)()) {
  if (!cur().punct("(")) return nullptr;
  Location where = cur().where;
  step();
  TypeSpec ts;
  if (!try_cast_type(ts)) {
    --pos_;  // back to '(': an ordinary parenthesised expression
    return nullptr;
  }
  auto e = node(ExprKind::cast, where);
  e->type = std::move(ts);
  e->has_type = true;
  e->target = (this->*operand)();
  return e;
}

ExprPtr Parser::expression() {
  DepthGuard guard(*this);
  // At the start of an expression a cast applies to the whole rest of it (§2.7.1, level 11).
  if (ExprPtr cast = try_cast(&Parser::rvalue)) return cast;
  return rvalue();
}

ExprPtr Parser::logical() {
  DepthGuard guard(*this);
  if (cur().punct("!")) {
    Location where = cur().where;
    step();
    return unary("!", where, logical());  // applies to the rest of the chain: !a && b is !(a && b)
  }
  ExprPtr left = compare();
  while (cur().punct("||") || cur().punct("&&")) {
    std::string op = cur().text;
    Location where = cur().where;
    step();
    left = binary(op, where, std::move(left), compare());
  }
  return left;
}

ExprPtr Parser::left_assoc(ExprPtr (Parser::*next)(), std::initializer_list<std::string_view> ops) {
  ExprPtr left = (this->*next)();
  for (;;) {
    if (std::none_of(ops.begin(), ops.end(), [&](std::string_view op) { return cur().punct(op); })) return left;
    std::string op = cur().text;
    Location where = cur().where;
    step();
    left = binary(op, where, std::move(left), (this->*next)());
  }
}

ExprPtr Parser::bit() {
  ExprPtr left = lower();
  for (;;) {
    if (cur().punct("|") || cur().punct("&") || cur().punct("^")) {
      std::string op = cur().text;
      Location where = cur().where;
      step();
      left = binary(op, where, std::move(left), lower());
      continue;
    }
    if (cur().punct("~")) {  // postfix bitwise not
      Location where = cur().where;
      step();
      left = deepen(unary("~", where, std::move(left)));
      continue;
    }
    return left;
  }
}

ExprPtr Parser::lower() {
  DepthGuard guard(*this);
  const Token& t = cur();
  if (t.punct("-")) {
    Location where = t.where;
    step();
    if (cur().kind == TokenKind::integer || cur().kind == TokenKind::floating) {
      ExprPtr lit = literal();
      lit->where = where;
      lit->value = static_cast<std::int64_t>(0ULL - static_cast<std::uint64_t>(lit->value));
      lit->real = -lit->real;
      return postfix(std::move(lit));
    }
    return unary("-", where, lower());  // our extension: minus of any expression
  }
  if (t.punct("!")) {  // our extension: `a && !b`; at the start of a chain `!` keeps the original rule
    Location where = t.where;
    step();
    return unary("!", where, lower());
  }
  if (t.kind == TokenKind::integer || t.kind == TokenKind::floating) return postfix(literal());
  if (t.kind == TokenKind::string) {
    auto e = node(ExprKind::string, t.where);
    e->text = t.text;
    step();
    return postfix(std::move(e));
  }
  if (t.keyword("import")) {
    auto e = node(ExprKind::import, t.where);
    step();
    if (cur().kind != TokenKind::string) fail("a file name in quotes after 'import'");
    e->text = cur().text;
    step();
    return postfix(std::move(e));
  }
  if (t.keyword("new")) return postfix(new_expression());
  // A cast in the middle of an expression (our extension) applies to the operand that follows.
  if (ExprPtr cast = try_cast(&Parser::lower)) return cast;
  return postfix(primary());
}

ExprPtr Parser::literal() {
  const Token& t = cur();
  ExprPtr e;
  if (t.kind == TokenKind::integer) {
    e = node(ExprKind::integer, t.where);
    e->value = t.value;
    e->long_literal = t.is_long;
    if (!t.is_long && t.value > 0xFFFFFFFFLL)
      sink_.warning(t.where, fmt::format("integer literal {} does not fit in 32 bits and is cut to {} (write {}L for a long)",
                                         t.text, static_cast<std::int32_t>(t.value), t.text));
  } else {
    e = node(ExprKind::floating, t.where);
    e->real = t.real;
    e->float_literal = t.is_float;
  }
  step();
  return e;
}

ExprPtr Parser::new_expression() {
  Location where = cur().where;
  step();
  if (cur().punct("*") && ahead(1).punct("(")) {
    step();
    step();
    auto e = node(ExprKind::new_dynamic, where);
    e->target = expression();
    expect_punct(")", "after the class expression of 'new *('");
    if (accept_punct(":")) {
      e->type = type();
      e->has_type = true;
    }
    arguments(*e);  // parsed; a dynamic new calls no constructor (§3.7.9)
    return e;
  }
  auto e = node(ExprKind::new_, where);
  e->type = type();
  e->has_type = true;
  if (!cur().punct("(")) fail("'(' after the type: 'new T()' needs its parentheses");
  arguments(*e);
  return e;
}

void Parser::arguments(Expr& call) {
  expect_punct("(");
  while (!cur().punct(")")) {
    if (at_end() || cur().punct(";") || cur().punct("}")) fail("')' to close the argument list");
    accept_punct(",");  // commas are optional separators in the original (§2.7.3)
    if (cur().punct(")")) break;
    call.args.push_back(expression());
  }
  step();
}

ExprPtr Parser::primary() {
  const Token& t = cur();
  if (t.kind == TokenKind::identifier) {
    auto e = node(ExprKind::name, t.where);
    e->text = t.text;
    step();
    if (cur().punct("(")) {  // m(args): a call on this
      auto call = node(ExprKind::call, e->where);
      call->text = e->text;
      arguments(*call);
      return call;
    }
    return e;
  }
  if (t.keyword("null")) {
    step();
    return node(ExprKind::null, t.where);
  }
  if (t.keyword("this")) {
    step();
    return node(ExprKind::this_, t.where);
  }
  if (t.punct("(")) {
    step();
    ExprPtr e = expression();
    expect_punct(")", "to close the parenthesis");
    e->parenthesized = true;
    return e;
  }
  fail("an expression");
}

ExprPtr Parser::postfix(ExprPtr e) {
  for (;;) {
    if (cur().punct(".") && (ahead(1).kind == TokenKind::identifier || ahead(1).kind == TokenKind::integer)) {
      Location where = ahead(1).where;
      step();
      bool by_ordinal = cur().kind == TokenKind::integer;
      std::string name = cur().text;
      std::int64_t ordinal = cur().value;
      step();
      if (!cur().punct("(")) {
        if (by_ordinal) fail("'(' after the method ordinal");
        auto f = node(ExprKind::field, where);  // x.f: checked to be this.f
        f->text = name;
        f->target = std::move(e);
        e = deepen(std::move(f));
        continue;
      }
      auto call = node(ExprKind::call, where);
      call->target = std::move(e);
      if (by_ordinal) call->ordinal = static_cast<std::int32_t>(ordinal & 0xFFFF);
      else call->text = name;
      arguments(*call);
      e = deepen(std::move(call));
      continue;
    }
    if (cur().punct(".") && (ahead(1).punct("(") || ahead(1).punct("*"))) {
      sink_.error(cur().where, "calling a method chosen at run time (x.(e)() or x.*(\"name\")()) is not supported");
      throw SyntaxError{};
    }
    if (cur().punct("[")) {
      auto ix = node(ExprKind::index, cur().where);
      step();
      ix->target = std::move(e);
      ix->args.push_back(expression());
      expect_punct("]", "to close the subscript");
      e = deepen(std::move(ix));
      continue;
    }
    break;
  }
  if (cur().punct("=") || cur().punct(".=")) {
    auto a = node(ExprKind::assign, cur().where);
    if (cur().punct(".=")) {
      sink_.error(cur().where, "value assignment '.=' is not implemented; use '='");
    }
    step();
    a->target = std::move(e);
    a->args.push_back(expression());
    return deepen(std::move(a));
  }
  return e;
}

}  // namespace phantom::plc::parsing
