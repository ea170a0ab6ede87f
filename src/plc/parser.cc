// Parser (compiler layer, spec/language.md §2).
#include "plc/parser.h"

#include <algorithm>
#include <initializer_list>

#include <fmt/format.h>

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

namespace {

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
  void sync_statement() {
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
  void sync_top() {
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

  // ---- names, types, attributes ----
  QualName qual_name(bool type_position) {
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

  void attributes() {
    while (cur().punct("@") || cur().keyword("attribute")) {
      step();
      do {
        accept_punct("~");
        qual_name(false);
        while (cur().punct("+") || cur().punct("*") || cur().punct("!") || cur().punct("!->") || cur().punct("->!")) step();
      } while (accept_punct(","));
    }
  }

  TypeSpec type() {
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

  // ---- top level ----
  void top_item(Unit& unit) {
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

  void end_of_top(std::string_view what) {
    if (!accept_punct(";")) fail(fmt::format("';' after the {}", what));
  }

  ClassDecl class_decl() {
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

  void member(ClassDecl& decl) {
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

  // ---- statements ----
  std::vector<StmtPtr> block_items(Location& end) {
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

  StmtPtr make(StmtKind kind) {
    auto s = std::make_unique<Stmt>();
    s->kind = kind;
    s->where = cur().where;
    return s;
  }

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

  StmtPtr statement() {
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

  ExprPtr condition(std::string_view what) {
    expect_punct("(", fmt::format("after '{}'", what));
    ExprPtr e = expression();
    expect_punct(")", fmt::format("to close the condition of '{}'", what));
    return e;
  }

  // ---- expressions ----
  ExprPtr node(ExprKind kind, Location where) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->where = where;
    return e;
  }
  ExprPtr binary(std::string op, Location where, ExprPtr l, ExprPtr r) {
    auto e = node(ExprKind::binary, where);
    e->op = std::move(op);
    e->args.push_back(std::move(l));
    e->args.push_back(std::move(r));
    return deepen(std::move(e));
  }
  // Operator chains (a + b + c ..., x.f().g()...) are built by loops, not recursion; their height is
  // bounded here so that the code generator's recursion is too.
  ExprPtr deepen(ExprPtr e) {
    std::uint32_t d = e->target ? e->target->depth : 0;
    for (const auto& a : e->args) d = std::max(d, a->depth);
    e->depth = d + 1;
    if (e->depth > max_expression_height) {
      sink_.error(e->where, "this expression is too long or too deeply nested; split it with local variables");
      throw SyntaxError{};
    }
    return e;
  }

  // The cast test of §2.7.2: after '(' a type name, then ')'. Returns true with `out` set, or restores
  // the position and returns false.
  bool try_cast_type(TypeSpec& out) {
    std::size_t save = pos_;
    std::size_t errors_before = sink_.error_count();
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
      if (!q.parts.empty() && (q.absolute || q.parts.size() > 0)) {
        std::string plain = q.text();
        std::string bare = plain.starts_with('.') ? plain.substr(1) : plain;
        static const char* shorthands[] = {"int", "long", "float", "double", "string", "object"};
        for (const char* s : shorthands)
          if (bare == s || bare == std::string("internal.") + s) ok = true;
        if (bare.starts_with("internal.")) ok = ok || known_("." + bare);
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
    (void)errors_before;
    return false;
  }

  // `(T) operand` when what follows '(' passes the cast test (§2.7.2); otherwise nothing is consumed.
  ExprPtr try_cast(ExprPtr (Parser::*operand)()) {
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

  ExprPtr expression() {
    DepthGuard guard(*this);
    // At the start of an expression a cast applies to the whole rest of it (§2.7.1, level 11).
    if (ExprPtr cast = try_cast(&Parser::rvalue)) return cast;
    return rvalue();
  }

  ExprPtr rvalue() { return logical(); }

  ExprPtr logical() {
    DepthGuard guard(*this);
    if (cur().punct("!")) {
      auto e = node(ExprKind::unary, cur().where);
      step();
      e->op = "!";
      e->target = logical();  // applies to the rest of the chain: !a && b is !(a && b)
      return e;
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

  // One left-associative level of binary operators over the next tighter level.
  ExprPtr left_assoc(ExprPtr (Parser::*next)(), std::initializer_list<std::string_view> ops) {
    ExprPtr left = (this->*next)();
    for (;;) {
      if (std::none_of(ops.begin(), ops.end(), [&](std::string_view op) { return cur().punct(op); })) return left;
      std::string op = cur().text;
      Location where = cur().where;
      step();
      left = binary(op, where, std::move(left), (this->*next)());
    }
  }
  ExprPtr compare() { return left_assoc(&Parser::ref_compare, {"==", "!=", "<", ">", "<=", ">="}); }
  ExprPtr ref_compare() { return left_assoc(&Parser::shift, {":==", ":!="}); }
  ExprPtr shift() { return left_assoc(&Parser::add, {"<<", ">>", ">>>"}); }  // our extension; looser than + -, as in C
  ExprPtr add() { return left_assoc(&Parser::mul, {"+", "-"}); }
  ExprPtr mul() { return left_assoc(&Parser::bit, {"*", "/", "%"}); }

  ExprPtr bit() {
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
        auto e = node(ExprKind::unary, cur().where);
        step();
        e->op = "~";
        e->target = std::move(left);
        left = deepen(std::move(e));
        continue;
      }
      return left;
    }
  }

  ExprPtr lower() {
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
      auto e = node(ExprKind::unary, where);  // our extension: minus of any expression
      e->op = "-";
      e->target = lower();
      return e;
    }
    if (t.punct("!")) {  // our extension: `a && !b`; at the start of a chain `!` keeps the original rule
      auto e = node(ExprKind::unary, t.where);
      step();
      e->op = "!";
      e->target = lower();
      return e;
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

  ExprPtr literal() {
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

  ExprPtr new_expression() {
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

  void arguments(Expr& call) {
    expect_punct("(");
    while (!cur().punct(")")) {
      if (at_end() || cur().punct(";") || cur().punct("}")) fail("')' to close the argument list");
      accept_punct(",");  // commas are optional separators in the original (§2.7.3)
      if (cur().punct(")")) break;
      call.args.push_back(expression());
    }
    step();
  }

  ExprPtr primary() {
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

  ExprPtr postfix(ExprPtr e) {
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

  const SourceFile& file_;
  const std::vector<Token>& t_;
  const KnownClass& known_;
  DiagnosticSink& sink_;
  std::size_t pos_ = 0;
  std::string package_;
  bool package_seen_ = false;
  int depth_ = 0;
};

}  // namespace

Unit parse(const SourceFile& file, const std::vector<Token>& tokens, const KnownClass& known, DiagnosticSink& sink) {
  return Parser(file, tokens, known, sink).run();
}

}  // namespace phantom::plc
