// Code generation for binary operators (compiler layer, spec/language.md §3.7.2-§3.7.6, §4.5.3).
// Both operands are converted to their common type before the operation, so the static types of both
// are needed before either is emitted: peek() learns them by generating the operand into a scratch
// emitter with diagnostics muted.
#include <fmt/format.h>

#include "plc/codegen.h"

namespace phantom::plc {

using namespace classfile;

Value MethodCompiler::peek(const Expr& ex) {
  if (auto it = peeked_.find(&ex); it != peeked_.end()) return it->second;
  Emitter saved = std::move(e_);
  e_ = Emitter{};
  std::size_t constants = constants_.size(), lines = lines_.size();
  std::uint32_t last_line = last_line_;
  sink_.mute(1);
  Value v = expr(ex);
  sink_.mute(-1);
  e_ = std::move(saved);
  constants_.resize(constants);
  lines_.resize(lines);
  last_line_ = last_line;
  peeked_[&ex] = v;
  return v;
}

Value MethodCompiler::string_concat(const Expr& ex) {
  for (const auto& operand : ex.args) {
    Value v = expr(*operand);
    to_os(v, operand->where);
    if (operand->kind == ExprKind::string) continue;
    // Everything else goes through toString: a number prints its value, null prints "(void)", and a
    // class of ours that defines toString() is asked for it even when it is not at ordinal 5.
    std::int32_t ordinal = 5;
    if (v.type.base == Base::object && !v.type.container && !v.type.is_string()) {
      if (const MethodInfo* m = table_.lookup(v.type.cls, "toString", {}, false)) ordinal = m->ordinal;
    }
    e_.call(ordinal, 0);
  }
  e_.call(10, 1);  // concat
  return {Type::object(".internal.string"), Stack::os};
}

Value MethodCompiler::compare_values(const Expr& ex, const std::string& op) {
  const Expr& l = *ex.args[0];
  const Expr& r = *ex.args[1];
  Value lt = peek(l), rt = peek(r);
  if (!(lt.type.numeric() && rt.type.numeric())) {
    // The object path: left.equals(right) (§3.7.4).
    expr_os(l);
    expr_os(r);
    e_.call(4, 1);
    e_.op(op_o2i);
    if (op == "!=") e_.op(op_log_not);
    return {Type::of(Base::int_), Stack::is};
  }
  Base common = common_numeric(lt.type.base, rt.type.base);
  expr_is(l, common);
  expr_is(r, common);
  if (common == Base::int_) {
    e_.op(op_isublu);
    e_.op(op_log_not);
    if (op == "!=") e_.op(op_log_not);
    return {Type::of(Base::int_), Stack::is};
  }
  // long, float, double: compared exactly (the original truncates the difference to int, quirk 23):
  // a == b is a >= b && a <= b, with both operands kept in hidden locals.
  std::uint8_t p = prefix_of(common);
  std::int32_t right = temp_is(common), left = temp_is(common);
  e_.prefixed(p, op_is_set32);
  e_.i32(right);
  e_.prefixed(p, op_is_set32);
  e_.i32(left);
  for (std::uint8_t cmp : {op_ige, op_ile}) {
    e_.prefixed(p, op_is_get32);
    e_.i32(left);
    e_.prefixed(p, op_is_get32);
    e_.i32(right);
    e_.prefixed(p, cmp);
  }
  e_.op(op_log_and);
  if (op == "!=") e_.op(op_log_not);
  return {Type::of(Base::int_), Stack::is};
}

Value MethodCompiler::binary(const Expr& ex) {
  const std::string& op = ex.op;
  const Expr& l = *ex.args[0];
  const Expr& r = *ex.args[1];
  if (op == ":==" || op == ":!=") {
    expr_os(l);
    expr_os(r);
    e_.op(op == ":==" ? op_os_eq : op_os_neq);
    return {Type::of(Base::int_), Stack::is};
  }
  if (op == "&&" || op == "||") {  // both sides are evaluated, as in the original (§3.7.3)
    Value a = expr(l);
    truthy(a, l.where);
    Value b = expr(r);
    truthy(b, r.where);
    e_.op(op == "&&" ? op_log_and : op_log_or);
    return {Type::of(Base::int_), Stack::is};
  }
  if (op == "==" || op == "!=") return compare_values(ex, op);
  Value lt = peek(l), rt = peek(r);
  if (op == "+" && (lt.type.is_string() || rt.type.is_string())) return string_concat(ex);

  bool reported = false;  // one error per operator: the operands' code then reports nothing more
  auto numeric_base = [&](const Value& v, const Value& other, const Expr& where) -> Base {
    if (v.type.numeric()) return v.type.base;
    if (v.type.unknown() && other.type.numeric()) return other.type.base;  // checked at run time
    if (v.type.unknown() && other.type.unknown()) return Base::int_;
    if (!reported) sink_.error(where.where, fmt::format("'{}' needs numbers, but this operand has type {}", op, type_string(v.type)));
    reported = true;
    return Base::int_;
  };
  if (op == "<<" || op == ">>" || op == ">>>") {
    Base b = numeric_base(lt, lt, l);
    if (b == Base::float_ || b == Base::double_) {
      sink_.error(ex.where, fmt::format("'{}' shifts an int or a long, not a {}", op, type_string(lt.type)));
      b = Base::int_;
    }
    // The VM shifts the top of the stack by the value beneath it (pvm.md §2.2.6), so the count is
    // evaluated first (docs/language.md).
    expr_is(r, Base::int_);
    expr_is(l, b);
    e_.prefixed(prefix_of(b), op == "<<" ? op_ishl : op == ">>" ? op_ishr : op_ushr);
    return {Type::of(b), Stack::is};
  }
  Base common = common_numeric(numeric_base(lt, rt, l), numeric_base(rt, lt, r));
  bool bitwise = op == "|" || op == "&" || op == "^";
  if (bitwise && (common == Base::float_ || common == Base::double_)) {
    sink_.error(ex.where, fmt::format("'{}' works on int and long, not on {}", op, type_string(Type::of(common))));
    common = Base::int_;
  }
  if (reported) sink_.mute(1);
  expr_is(l, common);
  expr_is(r, common);
  if (reported) sink_.mute(-1);
  std::uint8_t code = 0;
  bool comparison = false;
  if (op == "+") code = op_isum;
  else if (op == "-") code = op_isublu;
  else if (op == "*") code = op_imul;
  else if (op == "/") code = op_idivlu;
  else if (op == "%") code = op_iremlu;
  else if (op == "|") code = op_ior;
  else if (op == "&") code = op_iand;
  else if (op == "^") code = op_ixor;
  else if (op == "<") code = op_ilt, comparison = true;
  else if (op == ">") code = op_igt, comparison = true;
  else if (op == "<=") code = op_ile, comparison = true;
  else if (op == ">=") code = op_ige, comparison = true;
  e_.prefixed(prefix_of(common), code);
  return {Type::of(comparison ? Base::int_ : common), Stack::is};
}

}  // namespace phantom::plc
