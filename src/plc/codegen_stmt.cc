// Code generation for statements, method layout and class files (compiler layer,
// spec/language.md §3.4.2, §3.8, §4.1, §4.3, §4.5.7-§4.5.8).
#include <fmt/format.h>

#include "plc/codegen.h"
#include "plc/declare.h"

namespace phantom::plc {

using namespace classfile;

// ---- locals ----

std::int32_t MethodCompiler::temp_is(Base b) {
  std::int32_t slot = is_cells_;
  is_cells_ += (b == Base::long_ || b == Base::double_) ? 2 : 1;
  return slot;
}

void MethodCompiler::collect_locals(const std::vector<StmtPtr>& body) {
  for (const auto& s : body)
    if (s) collect_locals(*s);
}

// Method scope is flat (§3.4.2): every declaration takes a fresh slot and the name means the last one
// everywhere. Catch variables and foreach's hidden variables come after what their statement declares.
void MethodCompiler::collect_locals(const Stmt& s) {
  auto declare = [&](const std::string& name, const Type& type, Location where) {
    if (table_.field(cls_.name, name))
      sink_.warning(where, fmt::format("the field '{}' hides this variable: in this class '{}' means the field", name, name));
    Local l;
    l.type = type;
    l.on_is = type.numeric();
    if (l.on_is) l.slot = temp_is(type.base);
    else l.slot = os_slots_++;
    locals_[name] = l;
  };
  switch (s.kind) {
    case StmtKind::var:
      declare(s.name, resolve_type(s.type, table_, sink_), s.where);
      break;
    case StmtKind::block:
    case StmtKind::switch_:
      collect_locals(s.body);
      break;
    case StmtKind::if_:
    case StmtKind::while_:
    case StmtKind::do_while:
      if (s.first) collect_locals(*s.first);
      if (s.second) collect_locals(*s.second);
      break;
    case StmtKind::foreach:
      if (s.first) collect_locals(*s.first);
      if (!locals_.count(s.name) && !table_.field(cls_.name, s.name)) declare(s.name, Type{}, s.where);
      break;
    case StmtKind::try_: {
      if (s.first) collect_locals(*s.first);
      if (s.second) collect_locals(*s.second);
      Type caught = resolve_type(s.type, table_, sink_);
      if (table_.field(cls_.name, s.name))
        sink_.warning(s.where, fmt::format("the field '{}' hides this catch variable: in this class '{}' means the field", s.name, s.name));
      Local l;  // a catch variable is an OS local even when its type is numeric
      l.type = caught;
      l.slot = os_slots_++;
      locals_[s.name] = l;
      break;
    }
    default:
      break;
  }
}

// ---- statements ----

void MethodCompiler::statements(const std::vector<StmtPtr>& list) {
  for (const auto& s : list)
    if (s) statement(*s);
}

void MethodCompiler::condition_jump_if_false(const Expr& cond, Emitter::Label target) {
  Value v = expr(cond);
  truthy(v, cond.where);
  e_.jump(op_jz, target);
}

void MethodCompiler::leave_tries(std::size_t to_depth) {
  for (std::size_t d = try_depth_; d > to_depth; --d) e_.op(op_pop_catcher);
}

void MethodCompiler::statement(const Stmt& s) {
  if (s.kind != StmtKind::var || s.expr) line(s.where);
  switch (s.kind) {
    case StmtKind::block:
      statements(s.body);
      return;
    case StmtKind::var:
      if (s.expr) assign(*s.expr, false);
      return;
    case StmtKind::expr: {
      if (s.expr->kind == ExprKind::assign && !s.expr->parenthesized) {
        assign(*s.expr, false);
        return;
      }
      discard(expr(*s.expr));
      return;
    }
    case StmtKind::if_: {
      Emitter::Label else_label = e_.new_label(), end = e_.new_label();
      condition_jump_if_false(*s.expr, else_label);
      statement(*s.first);
      if (s.second) e_.jump(op_jmp, end);
      e_.place(else_label);
      if (s.second) statement(*s.second);
      e_.place(end);
      return;
    }
    case StmtKind::while_: {
      Loop loop{e_.new_label(), e_.new_label(), true, try_depth_};
      e_.place(loop.continue_label);
      condition_jump_if_false(*s.expr, loop.break_label);
      loops_.push_back(loop);
      statement(*s.first);
      loops_.pop_back();
      e_.jump(op_jmp, loop.continue_label);
      e_.place(loop.break_label);
      return;
    }
    case StmtKind::do_while: {
      // `continue` goes to the condition, as users expect (the original skipped it, quirk 27).
      Loop loop{e_.new_label(), e_.new_label(), true, try_depth_};
      Emitter::Label top = e_.new_label();
      e_.place(top);
      loops_.push_back(loop);
      statement(*s.first);
      e_.place(loop.continue_label);
      condition_jump_if_false(*s.expr, loop.break_label);
      if (s.second) statement(*s.second);
      loops_.pop_back();
      e_.jump(op_jmp, top);
      e_.place(loop.break_label);
      return;
    }
    case StmtKind::foreach: {
      // Our definition of foreach (the original's never worked, §4.6): for each element of an array,
      // in index order; the size is read again before every step, so elements added meanwhile count.
      Value arr = peek(*s.expr);
      auto var = locals_.find(s.name);
      if (var != locals_.end() && var->second.type.unknown() && arr.type.container) var->second.type = arr.type.element();
      std::int32_t array_slot = os_slots_++;
      std::int32_t index_slot = temp_is(Base::int_);
      Value a = expr_os(*s.expr);
      if (!a.type.container && !a.type.unknown())
        sink_.error(s.expr->where, fmt::format("foreach needs an array, but this value has type {}", type_string(a.type)));
      e_.op_i32(op_os_set32, array_slot);
      e_.op_i32(op_iconst_32bit, 0);
      e_.op_i32(op_is_set32, index_slot);
      Loop loop{e_.new_label(), e_.new_label(), true, try_depth_};
      Emitter::Label top = e_.new_label();
      e_.place(top);
      e_.op_i32(op_is_get32, index_slot);
      e_.op_i32(op_os_get32, array_slot);
      e_.call(12, 0);  // size
      e_.op(op_o2i);
      e_.op(op_ilt);
      e_.jump(op_jz, loop.break_label);
      // loop variable = array[index]
      {
        e_.op_i32(op_os_get32, array_slot);
        e_.op_i32(op_is_get32, index_slot);
        e_.op(op_i2o);
        e_.call(10, 1);
        Value v{a.type.container ? a.type.element() : Type{}, Stack::os};
        if (const FieldInfo* f = table_.field(cls_.name, s.name)) {
          implicit_cast(v, f->type, s.where);
          field_op(op_os_save8, op_os_save32, f->ordinal);
        } else if (auto it = locals_.find(s.name); it != locals_.end()) {
          if (it->second.on_is) {
            to_is(v, it->second.type.base, s.where);
            e_.prefixed(prefix_of(it->second.type.base), op_is_set32);
            e_.i32(it->second.slot);
          } else {
            implicit_cast(v, it->second.type, s.where);
            e_.op_i32(op_os_set32, it->second.slot);
          }
        }
      }
      loops_.push_back(loop);
      statement(*s.first);
      loops_.pop_back();
      e_.place(loop.continue_label);
      e_.op_i32(op_is_get32, index_slot);
      e_.op_i32(op_iconst_32bit, 1);
      e_.op(op_isum);
      e_.op_i32(op_is_set32, index_slot);
      e_.jump(op_jmp, top);
      e_.place(loop.break_label);
      return;
    }
    case StmtKind::switch_:
      switch_statement(s);
      return;
    case StmtKind::return_: {
      if (s.expr) {
        Value v = expr(*s.expr);
        const Type& rt = method_.return_type;
        if (rt.is_void()) sink_.warning(s.expr->where, "a void method returns a value here");
        if (rt.numeric() && v.type.numeric() && (v.where == Stack::is || v.type.base != rt.base)) to_is(v, rt.base, s.expr->where);
        implicit_cast(v, rt.is_void() ? Type{} : rt, s.expr->where);
      } else {
        e_.op(op_summon_null);
      }
      e_.op(op_ret);
      return;
    }
    case StmtKind::throw_:
      expr_os(*s.expr);
      e_.op(op_throw);
      return;
    case StmtKind::try_: {
      Type caught = resolve_type(s.type, table_, sink_);
      std::string cls = caught.holder_class();
      if (cls.empty()) cls = ".internal.object";
      Emitter::Label handler = e_.new_label(), end = e_.new_label();
      summon(cls);
      e_.jump(op_push_catcher, handler);
      ++try_depth_;
      statement(*s.first);
      --try_depth_;
      e_.op(op_pop_catcher);
      e_.jump(op_jmp, end);
      e_.place(handler);
      e_.op_i32(op_os_set32, locals_.at(s.name).slot);
      statement(*s.second);
      e_.place(end);
      return;
    }
    case StmtKind::break_:
    case StmtKind::continue_: {
      bool is_break = s.kind == StmtKind::break_;
      for (auto it = loops_.rbegin(); it != loops_.rend(); ++it) {
        if (!is_break && !it->has_continue) continue;
        leave_tries(it->try_depth);  // the original left the catcher active (§3.8.3)
        e_.jump(op_jmp, is_break ? it->break_label : it->continue_label);
        return;
      }
      sink_.error(s.where, is_break ? "'break' outside a loop or switch" : "'continue' outside a loop");
      return;
    }
    case StmtKind::case_label:
    case StmtKind::default_label:
      sink_.error(s.where, "'case' and 'default' belong directly in a switch body");
      return;
  }
}

void MethodCompiler::switch_statement(const Stmt& s) {
  // The value is kept in a hidden IS local, so a label costs no stack cleanup and falling through is
  // harmless (quirk 29); a switch without default jumps past its end (quirk 28).
  Value v = expr(*s.expr);
  if (v.where == Stack::os && !v.type.numeric() && !v.type.unknown())
    sink_.error(s.expr->where, fmt::format("switch needs a number, but this value has type {}", type_string(v.type)));
  to_is(v, Base::int_, s.expr->where);
  std::int32_t slot = temp_is(Base::int_);
  e_.op_i32(op_is_set32, slot);
  std::vector<Emitter::Label> labels;
  Emitter::Label default_label = 0;
  bool has_default = false;
  Loop loop{e_.new_label(), 0, false, try_depth_};
  for (const auto& item : s.body) {
    if (item->kind == StmtKind::case_label) {
      Emitter::Label l = e_.new_label();
      labels.push_back(l);
      e_.op_i32(op_is_get32, slot);
      expr_is(*item->expr, Base::int_);
      e_.op(op_isublu);
      e_.jump(op_jz, l);
    } else if (item->kind == StmtKind::default_label) {
      if (has_default) sink_.error(item->where, "a switch has at most one 'default'");
      has_default = true;
      default_label = e_.new_label();
    }
  }
  e_.jump(op_jmp, has_default ? default_label : loop.break_label);
  std::size_t next_case = 0;
  loops_.push_back(loop);
  for (const auto& item : s.body) {
    if (item->kind == StmtKind::case_label) e_.place(labels[next_case++]);
    else if (item->kind == StmtKind::default_label) e_.place(default_label);
    else statement(*item);
  }
  loops_.pop_back();
  e_.place(loop.break_label);
}

// ---- methods ----

std::vector<std::uint8_t> MethodCompiler::compile(std::vector<LineEntry>& lines) {
  const bool native_declaration = cls_.internal() || cls_.is_interface;
  if (native_declaration) {
    if (method_.decl && !method_.decl->body.empty())
      sink_.warning(method_.where, "the body of a method of an internal class or interface is never run");
    return {op_ret};
  }
  for (std::size_t i = 0; i < method_.params.size(); ++i) {
    Local l;
    l.slot = static_cast<std::int32_t>(i);
    l.type = method_.params[i];
    if (table_.field(cls_.name, method_.param_names[i]))
      sink_.warning(method_.where, fmt::format("the field '{}' hides the parameter of the same name", method_.param_names[i]));
    locals_[method_.param_names[i]] = l;
  }
  os_slots_ = static_cast<std::int32_t>(method_.params.size());
  if (method_.decl) collect_locals(method_.decl->body);

  // Parent constructor call, at the start of every constructor of a class with an explicit parent
  // (§4.5.8); its result is dropped (quirk 31).
  if (method_.constructor && cls_.explicit_parent && cls_.parent != ".internal.object") {
    const ClassInfo* found_in = nullptr;
    const MethodInfo* parent_ctor = table_.lookup(cls_.parent, "<init>", {}, false, &found_in);
    bool internal_parent = cls_.parent.starts_with(".internal.");
    if (!parent_ctor && !internal_parent) {
      sink_.error(method_.where, fmt::format("the base class {} has no constructor without arguments", cls_.parent));
    } else {
      e_.op(op_summon_this);
      summon(cls_.parent);
      e_.op(op_static_invoke);
      e_.i32(parent_ctor ? parent_ctor->ordinal : 0);
      e_.i32(0);
      e_.op(op_os_drop);
    }
  }
  // Numeric fields start at 0, as users of Java or C# expect: every constructor stores a boxed zero in
  // the class's own numeric fields before its body runs (parents' fields are set by their constructors).
  if (method_.constructor) {
    for (const FieldInfo& f : cls_.fields) {
      if (!f.type.numeric()) continue;
      if (f.type.wide()) {
        e_.op(op_iconst_64bit);
        e_.i64(0);
      } else {
        e_.op_i32(op_iconst_32bit, 0);
      }
      e_.prefixed(prefix_of(f.type.base), op_i2o);
      field_op(op_os_save8, op_os_save32, f.ordinal);
    }
  }
  if (method_.decl) statements(method_.decl->body);
  if (method_.decl) line(method_.decl->end);
  e_.op(op_summon_null);
  e_.op(op_ret);
  if (!e_.finish()) sink_.error(method_.where, "internal compiler error: a jump label was never placed");

  Emitter prologue;
  auto nparams = static_cast<std::int32_t>(method_.params.size());
  if (nparams > 126) sink_.error(method_.where, "a method has at most 126 parameters");
  prologue.op(op_arg_count);
  prologue.u8(static_cast<std::uint8_t>(nparams));
  std::int32_t os_locals = os_slots_ - nparams;
  if (os_locals > 255 || is_cells_ > 255)
    sink_.error(method_.where, fmt::format("too many local variables ({} object, {} integer cells; at most 255 each)", os_locals, is_cells_));
  if (os_locals > 0 || is_cells_ > 0) {
    prologue.op(op_stack_reserve);
    prologue.u8(static_cast<std::uint8_t>(os_locals));
    prologue.u8(static_cast<std::uint8_t>(is_cells_));
  }
  std::vector<std::uint8_t> code = std::move(prologue.code());
  std::size_t shift = code.size();
  code.insert(code.end(), e_.code().begin(), e_.code().end());
  for (auto& entry : lines_) entry.ip += static_cast<std::int64_t>(shift);
  lines = std::move(lines_);
  return code;
}

// ---- classes ----

ClassFile generate_class(ClassInfo& info, ClassTable& table, DiagnosticSink& sink) {
  ClassFile file;
  file.header.name = info.name;
  file.header.parent = info.parent.empty() ? info.name : info.parent;
  file.header.method_slots = info.method_slots;
  file.header.object_slots = info.field_slots;
  file.header.version = "00000000000000000";  // fixed: builds are reproducible (no reader uses it)
  std::vector<std::string> constants;

  // Methods are compiled in source order (constants are numbered in order of appearance), then written
  // in the table's HashMap order (§4.1, Appendix A).
  std::vector<std::vector<std::uint8_t>> code(info.methods.size());
  std::vector<std::vector<LineEntry>> lines(info.methods.size());
  for (std::size_t i = 0; i < info.methods.size(); ++i) {
    MethodCompiler compiler(info, info.methods[i], table, sink, constants);
    code[i] = compiler.compile(lines[i]);
  }
  std::vector<std::string> keys;
  for (const auto& m : info.methods) keys.push_back(m.signature);
  for (std::size_t i : hash_map_order(keys)) {
    const MethodInfo& m = info.methods[i];
    file.methods.push_back(Method{m.name, m.ordinal, std::move(code[i])});
    Signature sig;
    sig.name = m.name;
    sig.ordinal = m.ordinal;
    sig.is_constructor = m.constructor;
    sig.return_type = type_record(m.return_type);
    for (std::size_t k = 0; k < m.params.size(); ++k) sig.arguments.push_back(Argument{m.param_names[k], type_record(m.params[k])});
    file.signatures.push_back(std::move(sig));
    file.line_maps.push_back(LineMap{m.ordinal, std::move(lines[i])});
  }
  std::vector<std::string> field_keys;
  for (const auto& f : info.fields) field_keys.push_back(f.name);
  for (std::size_t i : hash_map_order(field_keys)) {
    const FieldInfo& f = info.fields[i];
    file.fields.push_back(FieldName{f.name, f.ordinal, type_record(f.type)});
  }
  for (std::size_t i = 0; i < constants.size(); ++i) {
    Constant c;
    c.id = static_cast<std::int32_t>(i);
    c.type = TypeRef{false, ".internal.string", ""};
    c.value.assign(constants[i].begin(), constants[i].end());
    file.constants.push_back(std::move(c));
  }
  return file;
}

}  // namespace phantom::plc
