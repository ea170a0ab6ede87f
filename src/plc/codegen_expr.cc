// Code generation for expressions (compiler layer, spec/language.md §3.6-§3.7, §4.4-§4.5).
#include <bit>
#include <cstring>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "plc/codegen.h"
#include "plc/declare.h"

namespace phantom::plc {

using namespace classfile;

namespace {

std::uint8_t from_op(Base b) {
  switch (b) {
    case Base::long_: return op_froml;
    case Base::float_: return op_fromf;
    case Base::double_: return op_fromd;
    default: return op_fromi;
  }
}


}  // namespace

void MethodCompiler::line(Location where) {
  if (where.line == 0 || where.line == last_line_) return;
  last_line_ = where.line;
  lines_.push_back({static_cast<std::int64_t>(e_.pos()), static_cast<std::int32_t>(where.line)});
}

void MethodCompiler::summon(const std::string& cls) {
  std::string lower = cls.starts_with('.') ? cls.substr(1) : cls;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "internal.class" || lower == "internal.class.class") return e_.op(op_summon_class_class);
  if (lower == "internal.int" || lower == "internal.class.int") return e_.op(op_summon_int_class);
  if (lower == "internal.string" || lower == "internal.class.string") return e_.op(op_summon_string_class);
  if (lower == "internal.interface" || lower == "internal.class.interface") return e_.op(op_summon_interface_class);
  if (lower == "internal.code") return e_.op(op_summon_code_class);
  if (lower == "internal.container.array") return e_.op(op_summon_array_class);
  e_.op(op_summon_by_name);
  e_.bytes(lower.insert(0, 1, '.'));
}

void MethodCompiler::convert(Base from, Base to) {
  if (from == to) return;
  e_.prefixed(prefix_of(to), from_op(from));
}

void MethodCompiler::to_os(Value& v, Location) {
  if (v.where == Stack::os) return;
  if (v.where == Stack::none) {
    e_.op(op_summon_null);  // the expression's own error was reported already
  } else {
    e_.prefixed(prefix_of(v.type.base), op_i2o);
  }
  v.where = Stack::os;
}

void MethodCompiler::to_is(Value& v, Base as, Location where) {
  if (v.where == Stack::none) {
    e_.op(op_iconst_0);  // the expression's own error was reported already
    convert(Base::int_, as);
  } else if (v.where == Stack::os) {
    if (v.type.numeric()) {
      e_.prefixed(prefix_of(v.type.base), op_o2i);
      convert(v.type.base, as);
    } else if (v.type.unknown() || (v.type.base == Base::object && v.type.cls == ".internal.object" && !v.type.container)) {
      // An untyped value where a number is needed: checked at run time by a cast to the number's class
      // (null passes, and reads as 0).
      Value checked = v;
      implicit_cast(checked, Type::of(as), where);
      e_.prefixed(prefix_of(as), op_o2i);
    } else {
      sink_.error(where, fmt::format("a number is needed here, but this value has type {}", type_string(v.type)));
      e_.op(op_os_drop);
      e_.op(op_iconst_0);
      convert(Base::int_, as);
    }
  } else {
    if (!v.type.numeric()) sink_.error(where, fmt::format("a number is needed here, but this value has type {}", type_string(v.type)));
    else convert(v.type.base, as);
  }
  v.where = Stack::is;
  v.type = Type::of(as);
}

Value MethodCompiler::expr_is(const Expr& ex, Base as) {
  Value v = expr(ex);
  to_is(v, as, ex.where);
  return v;
}

void MethodCompiler::discard(const Value& v) {
  if (v.where == Stack::os) e_.op(op_os_drop);
  if (v.where == Stack::is) e_.prefixed(prefix_of(v.type.base), op_is_drop);
}

void MethodCompiler::implicit_cast(Value& v, const Type& target, Location where) {
  to_os(v, where);
  if (target.unknown() || target.is_void() || v.null_literal) return;
  if (!v.type.unknown() && table_.assignable(target, v.type)) return;
  std::string cls = target.holder_class();
  // The VM knows no `implements` (class files do not record it), so a cast to an interface could never
  // succeed: such values are taken unchecked.
  if (cls.empty() || cls == ".internal.object" || table_.is_interface(cls)) return;
  if (!v.type.unknown() && !v.type.container && !target.container && target.base == Base::object &&
      !table_.is_subclass(cls, v.type.holder_class()))
    sink_.warning(where, fmt::format("a value of type {} is assigned where {} is expected; this cast can never succeed", type_string(v.type),
                                     type_string(target)));
  checked_cast(cls);
  v.type = target;
}

void MethodCompiler::checked_cast(const std::string& cls) {
  // A cast that lets null through: the VM's cast rejects null (pvm.md B11), and users expect a null
  // to stay null whatever its static type.
  Emitter::Label skip = e_.new_label();
  e_.op(op_os_dup);
  e_.op(op_os_isnull);
  e_.op(op_log_not);
  e_.jump(op_jz, skip);
  summon(cls);
  e_.op(op_cast);
  e_.place(skip);
}

void MethodCompiler::field_op(std::uint8_t short_form, std::uint8_t long_form, std::int32_t ordinal) {
  if (ordinal < 256) {
    e_.op(short_form);
    e_.u8(static_cast<std::uint8_t>(ordinal));
  } else {
    e_.op_i32(long_form, ordinal);
  }
}

bool MethodCompiler::check_array(const Value& array, Location where) {
  bool ok = array.type.container || array.type.unknown() || (array.type.base == Base::object && array.type.cls == ".internal.object");
  if (!ok) sink_.error(where, fmt::format("'[]' needs an array, but this value has type {}", type_string(array.type)));
  return ok;
}

void MethodCompiler::truthy(Value& v, Location where) {
  if (v.where == Stack::os) {
    if (v.type.numeric()) {
      to_is(v, v.type.base, where);
    } else {
      e_.op(op_o2i);  // conditions unbox without a type check of the compiler (§3.6); the VM checks
      v.where = Stack::is;
      v.type = Type::of(Base::int_);
    }
  }
  if (v.where == Stack::none) to_is(v, Base::int_, where);
  if (v.type.base == Base::int_ || !v.type.numeric()) return;
  Base b = v.type.base;
  std::uint8_t p = prefix_of(b);
  std::int32_t t = temp_is(b);
  e_.prefixed(p, op_is_set32);
  e_.i32(t);
  for (std::uint8_t cmp : {op_igt, op_ilt}) {
    e_.prefixed(p, op_is_get32);
    e_.i32(t);
    e_.op_i32(op_iconst_32bit, 0);
    convert(Base::int_, b);
    e_.prefixed(p, cmp);
  }
  e_.op(op_log_or);
  v.type = Type::of(Base::int_);
}

Value MethodCompiler::expr(const Expr& ex) {
  // The parser bounds each operator chain; nesting of several bounded chains is caught here, so a
  // hostile source cannot exhaust the compiler's stack.
  struct Depth {
    int& d;
    explicit Depth(int& depth) : d(++depth) {}
    ~Depth() { --d; }
  } depth(expr_depth_);
  if (expr_depth_ > 1500) {
    if (expr_depth_ == 1501) sink_.error(ex.where, "this expression is nested too deeply; split it with local variables");
    return {Type{}, Stack::none};
  }
  return expr_at(ex);
}

Value MethodCompiler::expr_at(const Expr& ex) {
  line(ex.where);
  switch (ex.kind) {
    case ExprKind::integer:
      if (ex.long_literal) {
        e_.op(op_iconst_64bit);
        e_.i64(ex.value);
        return {Type::of(Base::long_), Stack::is};
      }
      e_.op_i32(op_iconst_32bit, static_cast<std::int32_t>(ex.value));
      return {Type::of(Base::int_), Stack::is};
    case ExprKind::floating:
      if (ex.float_literal) {
        e_.op_i32(op_iconst_32bit, std::bit_cast<std::int32_t>(static_cast<float>(ex.real)));
        return {Type::of(Base::float_), Stack::is};
      }
      e_.op(op_iconst_64bit);
      e_.i64(std::bit_cast<std::int64_t>(ex.real));
      return {Type::of(Base::double_), Stack::is};
    case ExprKind::string:
      e_.op_i32(op_const_pool, static_cast<std::int32_t>(constants_.size()));
      constants_.push_back(ex.text);
      return {Type::object(".internal.string"), Stack::os};
    case ExprKind::import: {
      std::ifstream in(ex.text, std::ios::binary);
      if (!in && ex.where.file) {  // our extension: also relative to the source file
        std::string dir = ex.where.file->path;
        auto slash = dir.rfind('/');
        if (slash != std::string::npos) in.open(dir.substr(0, slash + 1) + ex.text, std::ios::binary);
      }
      std::string data;
      if (!in) sink_.error(ex.where, fmt::format("file '{}' not found or cannot be read (import reads it at compile time)", ex.text));
      else data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      e_.op(op_sconst_bin);
      e_.bytes(data);
      return {Type::object(".internal.string"), Stack::os};
    }
    case ExprKind::null:
      e_.op(op_summon_null);
      return {Type::object(".internal.object"), Stack::os, true};
    case ExprKind::this_:
      e_.op(op_summon_this);
      return {Type::object(cls_.name), Stack::os};
    case ExprKind::name: return name_load(ex);
    case ExprKind::field: {
      if (!ex.target || ex.target->kind != ExprKind::this_) {
        sink_.error(ex.where, fmt::format("'.{0}': only this.{0} can be used; the fields of other objects are private", ex.text));
        return {Type{}, Stack::none};
      }
      Expr name;
      name.kind = ExprKind::name;
      name.text = ex.text;
      name.where = ex.where;
      return name_load(name);
    }
    case ExprKind::call: return call(ex);
    case ExprKind::index: return index_load(ex);
    case ExprKind::assign: return assign(ex, true);
    case ExprKind::binary: return binary(ex);
    case ExprKind::unary: return unary(ex);
    case ExprKind::cast: return cast(ex);
    case ExprKind::new_:
    case ExprKind::new_dynamic: return new_object(ex);
  }
  return {};
}

Value MethodCompiler::name_load(const Expr& ex) {
  if (const FieldInfo* f = table_.field(cls_.name, ex.text)) {
    field_op(op_os_load8, op_os_load32, f->ordinal);
    return {f->type, Stack::os};
  }
  auto it = locals_.find(ex.text);
  if (it == locals_.end()) {
    sink_.error(ex.where, fmt::format("unknown name '{}': no field, parameter or local variable is called so", ex.text));
    return {Type{}, Stack::none};
  }
  const Local& l = it->second;
  if (l.on_is) {
    e_.prefixed(prefix_of(l.type.base), op_is_get32);
    e_.i32(l.slot);
    return {l.type, Stack::is};
  }
  e_.op_i32(op_os_get32, l.slot);
  return {l.type, Stack::os};
}

Value MethodCompiler::assign(const Expr& ex, bool keep) {
  const Expr& target = *ex.target;
  const Expr& value = *ex.args[0];
  auto coerce_os = [&](const Type& to) {
    Value v = expr(value);
    if (to.numeric() && v.type.numeric() && (v.where == Stack::is || v.type.base != to.base)) to_is(v, to.base, value.where);
    implicit_cast(v, to, value.where);
    return v;
  };
  if (target.kind == ExprKind::index) {
    Value array = expr_os(*target.target);
    check_array(array, target.where);
    Value v = coerce_os(array.type.container ? array.type.element() : Type{});
    Value i = expr_is(*target.args[0], Base::int_);
    to_os(i, target.where);
    e_.call(11, 2);  // set(value, index): returns the value (pvm.md §4.3.3)
    Value result{v.type, Stack::os};
    if (!keep) discard(result);
    return keep ? result : Value{};
  }
  std::string name;
  if (target.kind == ExprKind::name) name = target.text;
  else if (target.kind == ExprKind::field && target.target && target.target->kind == ExprKind::this_) name = target.text;
  else if (target.kind == ExprKind::field) {
    sink_.error(target.where, fmt::format("'.{0}': only this.{0} can be used; the fields of other objects are private", target.text));
    Value v = expr(value);
    if (!keep) discard(v);
    return v;
  } else {
    sink_.error(target.where, "the left side of '=' must be a variable, a field (this.f) or an array element");
    Value v = expr(value);
    if (!keep) discard(v);
    return v;
  }
  if (const FieldInfo* f = table_.field(cls_.name, name)) {
    Value v = coerce_os(f->type);
    if (keep) e_.op(op_os_dup);
    field_op(op_os_save8, op_os_save32, f->ordinal);
    return keep ? Value{f->type, Stack::os} : Value{};
  }
  auto it = locals_.find(name);
  if (it == locals_.end() || target.kind == ExprKind::field) {
    sink_.error(target.where, fmt::format("unknown name '{}': no field, parameter or local variable is called so", name));
    Value v = expr(value);
    discard(v);
    return {};
  }
  const Local& l = it->second;
  if (l.on_is) {
    expr_is(value, l.type.base);
    std::uint8_t p = prefix_of(l.type.base);
    if (keep) e_.prefixed(p, op_is_dup);
    e_.prefixed(p, op_is_set32);
    e_.i32(l.slot);
    return keep ? Value{l.type, Stack::is} : Value{};
  }
  coerce_os(l.type);
  if (keep) e_.op(op_os_dup);
  e_.op_i32(op_os_set32, l.slot);
  return keep ? Value{l.type, Stack::os} : Value{};
}

Value MethodCompiler::call(const Expr& ex) {
  Value receiver;
  if (!ex.target) {
    e_.op(op_summon_this);
    receiver = {Type::object(cls_.name), Stack::os};
  } else {
    receiver = expr_os(*ex.target);
  }
  std::vector<Type> arg_types;
  for (const auto& a : ex.args) arg_types.push_back(expr_os(*a).type);
  auto n = static_cast<std::int32_t>(ex.args.size());
  if (ex.ordinal >= 0) {  // x.N(...): no lookup, unknown result (§3.5.2)
    e_.call(ex.ordinal, n);
    return {Type{}, Stack::os};
  }
  std::string cls = receiver.type.holder_class();
  if (cls.empty()) {
    sink_.error(ex.where, fmt::format("cannot call '{}' on a value of unknown type: give it a type, cast it, or call by ordinal (x.N())", ex.text));
    e_.call(0, n);
    return {Type{}, Stack::os};
  }
  std::string error;
  if (!table_.find_or_load(cls, error)) {
    sink_.error(ex.where, error);
    e_.call(0, n);
    return {Type{}, Stack::os};
  }
  const MethodInfo* m = table_.lookup(cls, ex.text, arg_types, true);
  if (!m) {
    std::string args;
    for (std::size_t i = 0; i < arg_types.size(); ++i) args += (i ? ", " : "") + type_string(arg_types[i]);
    std::string candidates;
    if (ClassInfo* c = table_.find(cls))
      for (const auto& cand : c->methods)
        if (cand.name == ex.text) candidates += fmt::format(" {}(…{} arguments)", cand.name, cand.params.size());
    sink_.error(ex.where, fmt::format("class {} has no method {}({}){}", cls, ex.text, args,
                                      candidates.empty() ? std::string() : "; there is" + candidates));
    e_.call(0, n);
    return {Type{}, Stack::os};
  }
  e_.call(m->ordinal, n);
  Type result = m->return_type;
  if (result.base == Base::object && !result.container) table_.find_or_load(result.cls, error);
  return {result, Stack::os};
}

Value MethodCompiler::index_load(const Expr& ex) {
  Value array = expr_os(*ex.target);
  check_array(array, ex.where);
  Value i = expr_is(*ex.args[0], Base::int_);
  to_os(i, ex.where);
  e_.call(10, 1);
  return {array.type.container ? array.type.element() : Type{}, Stack::os};
}

Value MethodCompiler::unary(const Expr& ex) {
  if (ex.op == "!") {
    Value v = expr(*ex.target);
    truthy(v, ex.where);
    e_.op(op_log_not);
    return {Type::of(Base::int_), Stack::is};
  }
  Value v = expr(*ex.target);
  Base b = v.type.numeric() ? v.type.base : Base::int_;
  bool bad = !v.type.numeric() && !v.type.unknown();
  if (bad) sink_.error(ex.where, fmt::format("'{}' needs a number, but this value has type {}", ex.op, type_string(v.type)));
  if (bad) sink_.mute(1);  // one error, not a second one from the conversion
  to_is(v, b, ex.where);
  if (bad) sink_.mute(-1);
  if (ex.op == "-") {
    e_.op_i32(op_iconst_32bit, -1);
    convert(Base::int_, b);
    e_.prefixed(prefix_of(b), op_imul);
  } else {  // postfix ~
    if (b == Base::float_ || b == Base::double_) sink_.error(ex.where, "'~' needs an int or a long");
    e_.prefixed(prefix_of(b), op_inot);
  }
  return {Type::of(b), Stack::is};
}

Value MethodCompiler::cast(const Expr& ex) {
  Type to = resolve_type(ex.type, table_, sink_);
  Value v = expr(*ex.target);
  if (to.unknown() || to.is_void()) {
    sink_.warning(ex.where, "a cast to void or to an unknown class does nothing");
    return v;
  }
  if (to.numeric()) {
    if (v.where == Stack::is || v.type.numeric()) {
      to_is(v, to.base, ex.where);
      return v;
    }
    if (v.where == Stack::none) return {to, Stack::none};
  }
  to_os(v, ex.where);
  if (v.null_literal || table_.is_interface(to.holder_class())) return {to, Stack::os, v.null_literal};
  checked_cast(to.holder_class());  // like the implicit casts, it lets null through
  return {to, Stack::os};
}

Value MethodCompiler::new_object(const Expr& ex) {
  if (ex.kind == ExprKind::new_dynamic) {
    expr_os(*ex.target);
    e_.op(op_new);
    if (!ex.args.empty()) sink_.warning(ex.where, "'new *(class)(...)' calls no constructor: its arguments are ignored");
    return {ex.has_type ? resolve_type(ex.type, table_, sink_) : Type{}, Stack::os};
  }
  if (ex.type.dynamic) {
    sink_.error(ex.where, "'new' of a type chosen at run time or of an explicit container class is not supported; use new *(class)()");
    return {Type{}, Stack::os};
  }
  Type t = resolve_type(ex.type, table_, sink_);
  if (t.container) {
    if (!ex.args.empty()) sink_.error(ex.where, "an array is created without arguments: new T[]()");
    e_.op(op_summon_array_class);
    e_.op(op_new);
    return {t, Stack::os};
  }
  std::string cls = t.holder_class();
  if (cls.empty()) {
    if (!t.is_void()) return {Type{}, Stack::os};
    sink_.error(ex.where, "'new void()' makes no sense");
    e_.op(op_summon_null);
    return {Type{}, Stack::os};
  }
  ClassInfo* info = table_.find(cls);
  if (info && info->is_interface) sink_.error(ex.where, fmt::format("{} is an interface; it cannot be created", cls));
  bool internal = cls.starts_with(".internal.");
  summon(cls);
  e_.op(op_new);
  if (internal) {
    if (!ex.args.empty()) sink_.error(ex.where, fmt::format("{} is an internal class: it is created without arguments", cls));
    return {t, Stack::os};
  }
  std::vector<Type> arg_types;
  for (const auto& a : ex.args) arg_types.push_back(expr_os(*a).type);
  auto n = static_cast<std::int32_t>(ex.args.size());
  const MethodInfo* ctor = nullptr;
  if (info) {
    const ClassInfo* found_in = nullptr;
    ctor = table_.lookup(cls, "<init>", arg_types, false, &found_in);
    if (found_in != info) ctor = nullptr;  // constructors are not inherited
  }
  if (!ctor) {
    std::string args;
    for (std::size_t i = 0; i < arg_types.size(); ++i) args += (i ? ", " : "") + type_string(arg_types[i]);
    sink_.error(ex.where, fmt::format("class {} has no constructor taking ({})", cls, args));
    for (std::int32_t i = 0; i < n; ++i) e_.op(op_os_drop);
    return {t, Stack::os};
  }
  e_.op_i32(op_os_pull32, n);
  summon(cls);
  e_.op(op_static_invoke);
  e_.i32(ctor->ordinal);
  e_.i32(n);
  e_.op(op_os_drop);
  return {t, Stack::os};
}

}  // namespace phantom::plc
