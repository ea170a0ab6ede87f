// Parser, files to statements (compiler layer, spec/language.md §2.2-§2.6); expressions are in
// parser_expr.cc, the shared state in parser_impl.h.
#include "plc/parser.h"

#include "plc/parser_impl.h"

namespace phantom::plc {

std::string QualName::text() const {
  std::string out = absolute ? "." : "";
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? "." : "") + parts[i];
  return out;
}

std::string absolute_name(const QualName& name) {
  std::string tail;
  for (const auto& part : name.parts) tail += "." + part;
  if (name.absolute) return tail;
  if (name.package.empty()) return {};
  return name.package + tail;
}

std::vector<std::string> scan_class_names(const std::vector<Token>& tokens) {
  std::vector<std::string> names;
  std::string package;
  auto read_name = [&](std::size_t i) {
    QualName q;
    if (i < tokens.size() && tokens[i].punct(".")) {
      q.absolute = true;
      ++i;
    }
    while (i < tokens.size() && (tokens[i].kind == TokenKind::identifier || tokens[i].kind == TokenKind::string)) {
      q.parts.push_back(tokens[i].text);
      if (i + 1 < tokens.size() && tokens[i + 1].punct(".")) i += 2;
      else break;
    }
    q.package = package;
    return q;
  };
  for (std::size_t i = 0; i + 1 < tokens.size(); ++i) {
    if (tokens[i].keyword("package")) package = absolute_name(read_name(i + 1));
    if (tokens[i].keyword("class") || tokens[i].keyword("interface")) {
      std::string full = absolute_name(read_name(i + 1));
      if (!full.empty()) names.push_back(full);
    }
  }
  return names;
}

namespace parsing {

void Parser::sync_statement() {
  int depth = 0;
  while (!at_end()) {
    if (cur().punct("{")) ++depth;
    if (cur().punct("}")) {
      if (depth == 0) return;
      --depth;
      if (depth == 0) {
        step();
        return;
      }
    }
    if (cur().punct(";") && depth == 0) {
      step();
      return;
    }
    step();
  }
}

void Parser::sync_top() {
  int depth = 0;
  while (!at_end()) {
    if (depth == 0 && (cur().keyword("class") || cur().keyword("interface") || cur().keyword("package") ||
                       cur().keyword("import")))
      return;
    if (cur().punct("{")) ++depth;
    if (cur().punct("}") && depth > 0) --depth;
    step();
  }
}

QualName Parser::qual_name(bool type_position) {
  QualName q;
  q.where = cur().where;
  q.package = package_;
  if (accept_punct(".")) q.absolute = true;
  for (;;) {
    if (cur().kind != TokenKind::identifier && cur().kind != TokenKind::string) fail("a name");
    q.parts.push_back(cur().text);
    step();
    // `int` and `string` as the first part of a relative type name are the built-in types (§2.3).
    if (type_position && !q.absolute && q.parts.size() == 1 && (q.parts[0] == "int" || q.parts[0] == "string")) break;
    if (!(cur().punct(".") && (ahead(1).kind == TokenKind::identifier || ahead(1).kind == TokenKind::string))) break;
    step();
  }
  return q;
}

void Parser::attributes() {
  while (cur().punct("@") || cur().keyword("attribute")) {
    step();
    do {
      accept_punct("~");
      qual_name(false);
      while (cur().punct("+") || cur().punct("*") || cur().punct("!") || cur().punct("!->") || cur().punct("->!")) step();
    } while (accept_punct(","));
  }
}

TypeSpec Parser::type() {
  TypeSpec ts;
  ts.where = cur().where;
  accept_keyword("static");  // accepted and ignored (§2.3)
  if (accept_keyword("void")) {
    ts.is_void = true;
  } else if (accept_punct("*")) {
    ts.dynamic = true;
    expression();
  } else {
    ts.name = qual_name(true);
  }
  if (accept_punct("[")) {
    ts.container = true;
    if (accept_punct("*")) {
      ts.dynamic = true;
      expression();
    } else if (!cur().punct("]")) {
      qual_name(true);
      ts.dynamic = true;  // an explicit container class: parsed, not supported (§2.3)
    }
    expect_punct("]", "to close the container type");
  }
  attributes();
  return ts;
}

void Parser::top_item(Unit& unit) {
  if (accept_punct(";")) return;
  if (accept_keyword("package")) {
    Location where = cur().where;
    QualName q = qual_name(false);
    if (package_seen_) sink_.error(where, "the package is already defined in this file");
    package_seen_ = true;
    package_ = q.absolute ? q.text() : "." + q.text();
    end_of_top("package declaration");
    return;
  }
  if (cur().keyword("import")) {
    step();
    ImportDecl decl;
    decl.name.where = cur().where;
    if (!cur().punct(".")) {
      sink_.error(cur().where, "an import must use an absolute name, starting with '.'");
      throw SyntaxError{};
    }
    decl.name = qual_name(false);
    if (accept_punct(".")) {
      expect_punct("*");
      decl.star = true;
    }
    unit.imports.push_back(std::move(decl));
    end_of_top("import");
    return;
  }
  if (cur().keyword("attribute")) {
    Location where = cur().where;
    if (package_.empty()) sink_.error(where, "an attribute definition needs a package declared before it");
    attributes();
    end_of_top("attribute definition");
    return;
  }
  if (cur().keyword("class") || cur().keyword("interface")) {
    unit.classes.push_back(class_decl());
    // Every top-level item ends with ';' (§2.2); a missing one after a class body is only a warning.
    if (!accept_punct(";")) sink_.warning(t_[pos_ - 1].where, "';' expected after the class definition");
    return;
  }
  fail("'class', 'interface', 'package', 'import' or 'attribute' at the top level");
}

void Parser::end_of_top(std::string_view what) {
  if (!accept_punct(";")) fail(fmt::format("';' after the {}", what));
}

ClassDecl Parser::class_decl() {
  ClassDecl decl;
  decl.file = &file_;
  decl.is_interface = cur().keyword("interface");
  decl.where = cur().where;
  step();
  decl.name = qual_name(false);
  if (!decl.name.absolute && package_.empty())
    sink_.error(decl.name.where, fmt::format("relative class name '{}' but no package was declared", decl.name.text()));
  attributes();
  for (;;) {
    if (accept_keyword("extends")) {
      Location where = t_[pos_ - 1].where;
      if (decl.is_interface) sink_.error(where, "an interface cannot extend a class (use 'implements')");
      if (!decl.extends.empty()) sink_.error(where, "a class has just one base class: a second 'extends'");
      decl.extends.push_back(qual_name(true));
      continue;
    }
    if (accept_keyword("implements")) {
      decl.implements.push_back(qual_name(true));
      continue;
    }
    break;
  }
  expect_punct("{", "to open the class body");
  while (!cur().punct("}")) {
    if (at_end()) fail("'}' to close the class body");
    if (sink_.saturated()) throw SyntaxError{};
    std::size_t start = pos_;
    try {
      member(decl);
    } catch (const SyntaxError&) {
      sync_statement();
    }
    if (pos_ == start) step();
  }
  step();
  return decl;
}

void Parser::member(ClassDecl& decl) {
  if (cur().keyword("attribute")) {  // a no-op inside a class body (§2.4 quirk)
    attributes();
    expect_punct(";");
    return;
  }
  if (accept_keyword("var")) {
    FieldDecl f;
    f.where = cur().where;
    f.name = expect_identifier("a field name");
    if (accept_punct(":")) {
      f.type = type();
      f.typed = true;
    }
    attributes();
    expect_punct(";", "after the field declaration");
    if (decl.is_interface) sink_.error(f.where, "an interface cannot have fields");
    decl.fields.push_back(std::move(f));
    return;
  }
  if (!(cur().kind == TokenKind::identifier || cur().kind == TokenKind::string || cur().punct(".") ||
        cur().keyword("void") || cur().keyword("static") || cur().punct("*")))
    fail("a field or method declaration");
  TypeSpec ts = type();
  Location where = cur().where;
  std::string name = expect_identifier("a member name after the type");
  if (accept_punct(";")) {
    if (decl.is_interface) sink_.error(where, "an interface cannot have fields");
    decl.fields.push_back(FieldDecl{name, where, std::move(ts), true});
    return;
  }
  MethodDecl m;
  m.name = name;
  m.where = where;
  m.return_type = std::move(ts);
  expect_punct("(", "or ';' after the member name");
  if (!cur().punct(")")) {
    do {
      Param p;
      p.where = cur().where;
      if (!accept_keyword("var")) fail("'var' to start a parameter");
      p.name = expect_identifier("a parameter name");
      if (accept_punct(":")) {
        p.type = type();
        p.typed = true;
      }
      attributes();
      m.params.push_back(std::move(p));
    } while (accept_punct(","));
  }
  expect_punct(")", "to close the parameter list");
  if (accept_punct("[")) {
    if (cur().kind != TokenKind::integer) fail("a method ordinal");
    if (cur().value > 0xFFFF) sink_.error(cur().where, fmt::format("method ordinal {} is too large", cur().value));
    m.fixed_ordinal = static_cast<std::int32_t>(cur().value & 0xFFFF);
    step();
    expect_punct("]", "after the method ordinal");
  }
  attributes();
  if (decl.is_interface) {
    expect_punct(";", "after an interface method");
    decl.methods.push_back(std::move(m));
    return;
  }
  if (!cur().punct("{")) fail("'{' to start the method body");
  m.has_body = true;
  m.body = block_items(m.end);
  decl.methods.push_back(std::move(m));
}

std::vector<StmtPtr> Parser::block_items(Location& end) {
  expect_punct("{");
  std::vector<StmtPtr> items;
  while (!cur().punct("}")) {
    if (at_end()) fail("'}' to close the block");
    if (sink_.saturated()) throw SyntaxError{};
    std::size_t start = pos_;
    try {
      items.push_back(statement());
    } catch (const SyntaxError&) {
      sync_statement();
    }
    if (pos_ == start) step();
  }
  end = cur().where;
  step();
  return items;
}

StmtPtr Parser::make(StmtKind kind) {
  auto s = std::make_unique<Stmt>();
  s->kind = kind;
  s->where = cur().where;
  return s;
}

StmtPtr Parser::statement() {
  DepthGuard guard(*this);
  if (cur().punct("{")) {
    auto s = make(StmtKind::block);
    Location end;
    s->body = block_items(end);
    return s;
  }
  if (cur().keyword("var")) {
    auto s = make(StmtKind::var);
    step();
    s->where = cur().where;
    s->name = expect_identifier("a variable name");
    if (!accept_punct(":")) fail("':' and a type: a local variable must have a type (var x : int;)");
    s->type = type();
    if (cur().punct("=")) {  // our extension: var x : int = e;
      Location at = cur().where;
      step();
      auto init = std::make_unique<Expr>();
      init->kind = ExprKind::assign;
      init->where = at;
      init->target = std::make_unique<Expr>();
      init->target->kind = ExprKind::name;
      init->target->text = s->name;
      init->target->where = s->where;
      init->args.push_back(expression());
      s->expr = std::move(init);
    }
    expect_punct(";", "after the variable declaration");
    return s;
  }
  if (accept_keyword("if")) {
    auto s = make(StmtKind::if_);
    s->where = t_[pos_ - 1].where;
    s->expr = condition("if");
    s->first = statement();
    if (accept_keyword("else")) s->second = statement();
    return s;
  }
  if (accept_keyword("while")) {
    auto s = make(StmtKind::while_);
    s->where = t_[pos_ - 1].where;
    s->expr = condition("while");
    s->first = statement();
    return s;
  }
  if (accept_keyword("do")) {
    auto s = make(StmtKind::do_while);
    s->where = t_[pos_ - 1].where;
    s->first = statement();
    if (!accept_keyword("while")) fail("'while' after the body of 'do'");
    s->expr = condition("do ... while");
    if (!accept_punct(";")) s->second = statement();  // do S while (E) T
    return s;
  }
  if (accept_keyword("foreach")) {
    auto s = make(StmtKind::foreach);
    s->where = t_[pos_ - 1].where;
    expect_punct("(", "after 'foreach'");
    s->name = expect_identifier("the loop variable");
    if (!accept_keyword("in")) fail("'in' after the loop variable");
    s->expr = expression();
    expect_punct(")", "to close the foreach header");
    s->first = statement();
    return s;
  }
  if (accept_keyword("switch")) {
    auto s = make(StmtKind::switch_);
    s->where = t_[pos_ - 1].where;
    s->expr = condition("switch");
    expect_punct("{", "to open the switch body");
    while (!cur().punct("}")) {
      if (at_end()) fail("'}' to close the switch body");
      std::size_t start = pos_;
      try {
        if (cur().keyword("case")) {
          auto c = make(StmtKind::case_label);
          step();
          c->expr = expression();
          expect_punct(":", "after the case value");
          s->body.push_back(std::move(c));
        } else if (cur().keyword("default")) {
          auto c = make(StmtKind::default_label);
          step();
          expect_punct(":", "after 'default'");
          s->body.push_back(std::move(c));
        } else {
          s->body.push_back(statement());
        }
      } catch (const SyntaxError&) {
        sync_statement();
      }
      if (pos_ == start) step();
    }
    step();
    return s;
  }
  if (cur().keyword("return")) {
    auto s = make(StmtKind::return_);
    step();
    if (!cur().punct(";")) s->expr = expression();
    expect_punct(";", "after the return statement");
    return s;
  }
  if (cur().keyword("throw")) {
    auto s = make(StmtKind::throw_);
    step();
    s->expr = expression();
    expect_punct(";", "after the throw statement");
    return s;
  }
  if (accept_keyword("try")) {
    auto s = make(StmtKind::try_);
    s->where = t_[pos_ - 1].where;
    s->first = statement();
    if (!accept_keyword("catch")) fail("'catch' after the try block (there is no 'finally')");
    expect_punct("(", "after 'catch'");
    s->type = type();
    s->name = expect_identifier("the name of the caught value");
    expect_punct(")", "to close the catch header");
    s->second = statement();
    return s;
  }
  if (cur().keyword("break") || cur().keyword("continue")) {
    auto s = make(cur().keyword("break") ? StmtKind::break_ : StmtKind::continue_);
    step();
    expect_punct(";");
    return s;
  }
  if (cur().keyword("case") || cur().keyword("default")) {
    sink_.error(cur().where, fmt::format("'{}' outside a switch", cur().text));
    throw SyntaxError{};
  }
  if (cur().punct(";")) {
    sink_.error(cur().where, "an empty statement ';' is not allowed: write {} for an empty body");
    step();
    return make(StmtKind::block);
  }
  auto s = make(StmtKind::expr);
  s->expr = expression();
  expect_punct(";", "after the expression");
  return s;
}

ExprPtr Parser::condition(std::string_view what) {
  expect_punct("(", fmt::format("after '{}'", what));
  ExprPtr e = expression();
  expect_punct(")", fmt::format("to close the condition of '{}'", what));
  return e;
}

}  // namespace parsing

Unit parse(const SourceFile& file, const std::vector<Token>& tokens, const KnownClass& known, DiagnosticSink& sink) {
  return parsing::Parser(file, tokens, known, sink).run();
}

}  // namespace phantom::plc
