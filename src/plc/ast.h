// AST: the parsed form of a Phantom source file (compiler layer, spec/language.md §2).
// Names are kept as written, together with the package that was current where they were read
// (a `package` line affects only names read after it, §2.2); the checker resolves them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "plc/source.h"

namespace phantom::plc {

// A qualified name: `.internal.int`, `hier.child1`, `string`.
struct QualName {
  std::vector<std::string> parts;
  bool absolute = false;
  std::string package;  // the package in force where the name was read ("" if none)
  Location where;

  std::string text() const;  // as written: ".a.b" or "a.b"
};

// A type as written (§2.3): `void`, a class name, a container of either.
struct TypeSpec {
  bool is_void = false;
  QualName name;          // when not void
  bool container = false;
  bool dynamic = false;   // `*expr` types: parsed, rejected by the checker
  Location where;
};

struct Expr;
struct Stmt;
using ExprPtr = std::unique_ptr<Expr>;
using StmtPtr = std::unique_ptr<Stmt>;

enum class ExprKind : std::uint8_t {
  integer,    // value; long_literal for the L suffix
  floating,   // real; float_literal for the f suffix
  string,     // text
  import,     // text = file name; bytes read by the checker
  null,
  this_,
  name,       // text = identifier
  call,       // target (null: implicit this); text = method name, or ordinal >= 0
  field,      // this.f (our extension): target is `this`, text = field name
  index,      // target[args[0]]
  assign,     // target = args[0]
  binary,     // op, args[0] op args[1]
  unary,      // op: "!", "-", "~"
  cast,       // (type) target
  new_,       // new type(args)
  new_dynamic,  // new *(target)(...) [: type]
};

struct Expr {
  ExprKind kind;
  Location where;
  std::string text;
  std::string op;
  std::int64_t value = 0;
  double real = 0;
  bool long_literal = false;
  bool float_literal = false;
  std::int32_t ordinal = -1;
  ExprPtr target;
  std::vector<ExprPtr> args;
  TypeSpec type;
  bool has_type = false;
  bool parenthesized = false;  // `(a)`: an assignment inside is still an assignment, but not a statement form
  std::uint32_t depth = 1;     // height of this subtree (the parser bounds it: code generation recurses)
};

enum class StmtKind : std::uint8_t {
  block, var, if_, while_, do_while, foreach, switch_, return_, throw_, try_, break_, continue_, expr,
  case_label, default_label,  // items of a switch body
};

struct Stmt {
  StmtKind kind;
  Location where;
  std::string name;                 // var: variable; foreach: loop variable; try: catch variable
  TypeSpec type;                    // var, try (catch type)
  ExprPtr expr;                     // condition, value, case expression
  std::vector<StmtPtr> body;        // block, switch items
  StmtPtr first;                    // if-then, loop body, try body
  StmtPtr second;                   // else, do-while's post statement, catch handler
};

struct Param {
  std::string name;
  TypeSpec type;
  bool typed = false;
  Location where;
};

struct MethodDecl {
  std::string name;
  Location where;
  TypeSpec return_type;
  std::vector<Param> params;
  std::int32_t fixed_ordinal = -1;  // `[N]`
  bool has_body = false;
  std::vector<StmtPtr> body;
  Location end;                     // the closing brace
};

struct FieldDecl {
  std::string name;
  Location where;
  TypeSpec type;
  bool typed = false;
};

struct ClassDecl {
  QualName name;
  bool is_interface = false;
  Location where;
  std::vector<QualName> extends;     // at most one is legal
  std::vector<QualName> implements;
  std::vector<FieldDecl> fields;
  std::vector<MethodDecl> methods;
  const SourceFile* file = nullptr;
};

struct ImportDecl {
  QualName name;
  bool star = false;
};

// One parsed file: its classes and imports, in source order.
struct Unit {
  const SourceFile* file = nullptr;
  std::vector<ImportDecl> imports;
  std::vector<ClassDecl> classes;
};

}  // namespace phantom::plc
