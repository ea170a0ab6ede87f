// Code generation: types each expression and emits the PVM code of one class's methods
// (compiler layer, spec/language.md §3.6-§3.8 and §4). Every value is tracked on the stack it really
// lives on (IS or OS), so it is boxed or unboxed exactly once (quirk 32). What we emit differently from
// the original, and why, is listed in docs/compatibility.md ("Compiler").
#pragma once

#include <map>
#include <string>
#include <vector>

#include "classfile/class_file.h"
#include "plc/class_table.h"
#include "plc/emitter.h"

namespace phantom::plc {

// Generates the class file of one source class. Errors go to `sink`; the result is then incomplete.
classfile::ClassFile generate_class(ClassInfo& info, ClassTable& table, DiagnosticSink& sink);

// Where a value is after its code has run.
enum class Stack : std::uint8_t { is, os, none };

struct Value {
  Type type;
  Stack where = Stack::none;
  bool null_literal = false;
};

struct Local {
  bool on_is = false;
  std::int32_t slot = 0;
  Type type;
};

// Compiles one method; owned by generate_class.
class MethodCompiler {
 public:
  MethodCompiler(ClassInfo& cls, MethodInfo& method, ClassTable& table, DiagnosticSink& sink,
                 std::vector<std::string>& constants)
      : cls_(cls), method_(method), table_(table), sink_(sink), constants_(constants) {}

  // The method's code and line table.
  std::vector<std::uint8_t> compile(std::vector<classfile::LineEntry>& lines);

 private:
  // ---- locals (codegen_stmt.cc) ----
  void collect_locals(const std::vector<StmtPtr>& body);
  void collect_locals(const Stmt& s);
  std::int32_t temp_is(Base b);  // a hidden IS local of that type
  // ---- statements (codegen_stmt.cc) ----
  void statement(const Stmt& s);
  void statements(const std::vector<StmtPtr>& list);
  void condition_jump_if_false(const Expr& e, Emitter::Label target);
  void switch_statement(const Stmt& s);
  void leave_tries(std::size_t to_depth);
  // ---- expressions (codegen_expr.cc) ----
  Value expr(const Expr& e);
  Value expr_at(const Expr& e);
  Value expr_os(const Expr& e) { Value v = expr(e); to_os(v, e.where); return v; }
  Value expr_is(const Expr& e, Base as);
  void discard(const Value& v);
  Value name_load(const Expr& e);
  Value assign(const Expr& e, bool keep);
  Value call(const Expr& e);
  Value peek(const Expr& e);  // the value an expression would give, without emitting its code
  Value binary(const Expr& e);
  Value compare_values(const Expr& e, const std::string& op);
  Value string_concat(const Expr& e);
  Value unary(const Expr& e);
  Value cast(const Expr& e);
  Value new_object(const Expr& e);
  Value index_load(const Expr& e);
  void to_os(Value& v, Location where);
  void to_is(Value& v, Base as, Location where);
  void convert(Base from, Base to);
  void implicit_cast(Value& v, const Type& target, Location where);  // on the OS, null passes
  void summon(const std::string& cls);
  void checked_cast(const std::string& cls);  // on the OS; null passes
  void field_op(std::uint8_t short_form, std::uint8_t long_form, std::int32_t ordinal);  // os_load/os_save
  bool check_array(const Value& array, Location where);  // reports when it is not one
  void truthy(Value& v, Location where);  // leaves an int 0/1-ish on the IS
  void line(Location where);

  struct Loop {
    Emitter::Label break_label;
    Emitter::Label continue_label;
    bool has_continue;  // false for switch
    std::size_t try_depth;
  };

  ClassInfo& cls_;
  MethodInfo& method_;
  ClassTable& table_;
  DiagnosticSink& sink_;
  std::vector<std::string>& constants_;
  Emitter e_;
  std::map<std::string, Local> locals_;
  std::int32_t os_slots_ = 0;   // parameters + OS locals
  std::int32_t is_cells_ = 0;
  std::vector<Loop> loops_;
  std::size_t try_depth_ = 0;
  std::vector<classfile::LineEntry> lines_;
  std::uint32_t last_line_ = 0;
  std::map<const Expr*, Value> peeked_;
  int expr_depth_ = 0;
};

}  // namespace phantom::plc
