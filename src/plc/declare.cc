// Declarations and numbering (compiler layer).
#include "plc/declare.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "plc/parser.h"

namespace phantom::plc {

Type resolve_type(const TypeSpec& spec, ClassTable& table, DiagnosticSink& sink) {
  Type t;
  if (spec.dynamic) {
    // `*expr` and `T[Class]` parse, as in the original, and give the compiler no static type (§2.3).
    sink.warning(spec.where, "a type chosen at run time ('*expr') or an explicit container class is unknown to the compiler");
    t.container = spec.container;
    return t;
  }
  if (spec.is_void) {
    t = Type::of(Base::void_);
  } else {
    const QualName& q = spec.name;
    std::string single = !q.absolute && q.parts.size() == 1 ? q.parts[0] : std::string();
    if (single == "int") t = Type::of(Base::int_);
    else if (single == "string") t = Type::object(".internal.string");
    else {
      std::string full = absolute_name(q);
      std::string error;
      if (full.empty()) {
        sink.error(q.where, fmt::format("relative name '{}' but no package was declared", q.text()));
        return t;
      }
      if (table.find_or_load(full, error)) {
        t = type_for_class(full);
      } else if (single == "long" || single == "float" || single == "double" || single == "object") {
        // Our extension: the shorthands also work in declarations when the package has no such class.
        t = type_for_class(".internal." + single);
        if (!table.loadable(".internal." + single)) sink.error(q.where, error);
      } else {
        sink.error(q.where, error);
        return t;
      }
    }
  }
  if (spec.container) {
    t.container = true;
    if (t.base == Base::void_) t.base = Base::unknown;
  }
  return t;
}

namespace {

std::string short_name(const std::string& full) {
  auto dot = full.rfind('.');
  return dot == std::string::npos ? full : full.substr(dot + 1);
}

std::string make_signature(const std::string& name, const std::vector<Type>& params) {
  std::string s = name;
  for (const auto& p : params) s += "_#_" + type_string(p);
  if (params.empty()) s += "_#_void";
  return s;
}

class Declarer {
 public:
  Declarer(ClassTable& table, DiagnosticSink& sink) : table_(table), sink_(sink) {}

  void run(const std::vector<Unit>& units) {
    // 1. Every class name first, so that classes of one run may refer to each other in any order.
    for (const Unit& unit : units) {
      for (const ClassDecl& decl : unit.classes) {
        std::string full = absolute_name(decl.name);
        if (full.empty()) continue;
        if (ClassInfo* existing = table_.find(full); existing && existing->from_source) {
          sink_.error(decl.name.where, fmt::format("class {} is defined twice (first in {})", full, existing->file));
          continue;
        }
        ClassInfo& info = table_.add_source_class(full);
        info.decl = &decl;
        info.is_interface = decl.is_interface;
        info.file = unit.file->path;
        order_.push_back(&info);
      }
    }
    // 2. Parents, fields and methods.
    for (ClassInfo* info : order_) members(*info);
    // 3. Numbering, parents before children.
    for (ClassInfo* info : order_) number(*info, 0);
    for (ClassInfo* info : order_) check_interfaces(*info);
  }

 private:
  void members(ClassInfo& info) {
    const ClassDecl& decl = *info.decl;
    if (info.name == ".internal.object") {
      info.parent.clear();
    } else if (!decl.extends.empty()) {
      std::string parent = absolute_name(decl.extends[0]);
      std::string error;
      if (parent.empty()) {
        sink_.error(decl.extends[0].where, "relative parent name but no package was declared");
        parent = ".internal.object";
      } else if (!table_.find_or_load(parent, error)) {
        sink_.error(decl.extends[0].where, error);
        parent = ".internal.object";
      }
      info.parent = parent;
      info.explicit_parent = true;  // even `extends .internal.object`: its methods can then be overridden
      if (ClassInfo* p = table_.find(parent); p && p->is_interface)
        sink_.error(decl.extends[0].where, fmt::format("{} is an interface: use 'implements'", parent));
    } else {
      info.parent = ".internal.object";
      std::string error;
      if (!table_.find_or_load(".internal.object", error))
        sink_.error(decl.name.where, "class .internal.object is not available: is the library (plib) on the class path?");
    }
    for (const QualName& iface : decl.implements) {
      std::string full = absolute_name(iface);
      std::string error;
      ClassInfo* i = full.empty() ? nullptr : table_.find_or_load(full, error);
      if (!i) {
        sink_.error(iface.where, full.empty() ? "relative interface name but no package was declared" : error);
        continue;
      }
      info.interfaces.push_back(full);
    }
    for (const FieldDecl& f : decl.fields) {
      FieldInfo field{f.name, 0, f.typed ? resolve_type(f.type, table_, sink_) : Type{}, f.where};
      for (const MethodDecl& m : decl.methods)
        if (m.name == f.name) sink_.error(f.where, fmt::format("the name '{}' is used by a method of this class", f.name));
      info.fields.push_back(std::move(field));
    }
    std::string own_short = short_name(info.name);
    for (const MethodDecl& m : decl.methods) {
      MethodInfo method;
      method.decl = &m;
      method.where = m.where;
      method.return_type = resolve_type(m.return_type, table_, sink_);
      method.constructor = m.name == own_short;
      method.name = method.constructor ? "<init>" : m.name;
      if (method.constructor && !method.return_type.is_void())
        sink_.error(m.where, fmt::format("constructor {} must be declared void", m.name));
      for (const Param& p : m.params) {
        method.param_names.push_back(p.name);
        method.params.push_back(p.typed ? resolve_type(p.type, table_, sink_) : Type{});
      }
      method.signature = make_signature(method.name, method.params);
      if (m.fixed_ordinal >= 0) {
        method.ordinal = m.fixed_ordinal;
        method.fixed = true;
      }
      auto same = std::find_if(info.methods.begin(), info.methods.end(), [&](auto& x) { return x.signature == method.signature; });
      if (same != info.methods.end()) {
        // The original silently replaces the first definition (§3.5.1); we say so.
        sink_.warning(m.where, fmt::format("method {} is defined twice; the second definition replaces the first", method.signature));
        *same = std::move(method);
      } else {
        info.methods.push_back(std::move(method));
      }
    }
    if (!info.internal() && std::none_of(info.methods.begin(), info.methods.end(), [](auto& x) { return x.constructor; })) {
      MethodInfo ctor;
      ctor.name = "<init>";
      ctor.signature = "<init>_#_void";
      ctor.constructor = true;
      ctor.generated = true;
      ctor.return_type = Type::of(Base::void_);
      ctor.where = decl.name.where;
      info.methods.push_back(std::move(ctor));
    }
  }

  void number(ClassInfo& info, int depth) {
    if (info.numbered || depth > 100) return;
    if (numbering_.count(info.name)) {
      sink_.error(info.decl->name.where, fmt::format("class {} is its own ancestor", info.name));
      return;
    }
    numbering_.insert(info.name);
    ClassInfo* parent = info.parent.empty() ? nullptr : table_.find(info.parent);
    if (parent && !parent->numbered) number(*parent, depth + 1);
    for (const std::string& i : info.interfaces)
      if (ClassInfo* iface = table_.find(i); iface && !iface->numbered) number(*iface, depth + 1);

    // Fields: numbered from the parent's total (language.md §3.4.1, the recommended fix).
    std::int32_t base_fields = parent ? parent->field_slots : 0;
    std::int32_t next_field = base_fields;
    for (FieldInfo& f : info.fields) {
      if (parent && table_.field(parent->name, f.name))
        sink_.error(f.where, fmt::format("a base class already has a field named '{}'", f.name));
      f.ordinal = next_field++;
    }
    info.field_slots = next_field;

    // Methods: fixed ordinals, interface ordinals, then fresh numbers in HashMap order (§3.5.4).
    std::set<std::int32_t> taken;
    for (MethodInfo& m : info.methods) {
      if (!m.fixed) continue;
      if (taken.count(m.ordinal)) sink_.error(m.where, fmt::format("ordinal {} is used by two methods of {}", m.ordinal, info.name));
      taken.insert(m.ordinal);
    }
    std::int32_t base = parent ? parent->method_slots : 0;
    // An interface numbers its own methods after those of the interfaces it extends, so that one
    // implementing class can give every method its interface's ordinal.
    if (info.is_interface)
      for (const std::string& iname : info.interfaces)
        if (ClassInfo* iface = table_.find(iname)) base = std::max(base, iface->method_slots);
    for (const std::string& iname : all_interfaces(info)) {
      ClassInfo* iface = table_.find(iname);
      if (!iface) continue;
      for (MethodInfo& m : info.methods) {
        if (m.fixed || m.constructor || m.ordinal >= 0) continue;
        const MethodInfo* im = iface->method_by_signature(m.signature);
        if (!im || im->ordinal < base || taken.count(im->ordinal)) continue;
        m.ordinal = im->ordinal;  // calls through the interface reach this method (quirk 18: unified)
        taken.insert(m.ordinal);
      }
    }
    std::vector<std::string> keys;
    std::vector<std::size_t> index;
    for (std::size_t i = 0; i < info.methods.size(); ++i) {
      if (info.methods[i].generated) continue;
      keys.push_back(info.methods[i].signature);
      index.push_back(i);
    }
    std::int32_t counter = base;
    auto next_free = [&] {
      while (taken.count(counter)) ++counter;
      taken.insert(counter);
      return counter++;
    };
    for (std::size_t k : hash_map_order(keys)) {
      MethodInfo& m = info.methods[index[k]];
      if (m.ordinal < 0) m.ordinal = next_free();
    }
    for (MethodInfo& m : info.methods)
      if (m.generated) m.ordinal = next_free();

    // Overriding: a method found in the explicit parent takes its ordinal (§3.5.3).
    if (info.explicit_parent && parent) {
      for (MethodInfo& m : info.methods) {
        const MethodInfo* bm = table_.lookup(parent->name, m.name, m.params, false);
        if (!bm) continue;
        if (bm->params != m.params) {
          sink_.error(m.where, fmt::format("{} has incompatible arguments with {} of the parent class (an override must have the same parameter types)",
                                           m.signature, bm->signature));
          continue;
        }
        if (!(bm->return_type == m.return_type) && !m.constructor)
          sink_.error(m.where, fmt::format("{} overrides a method returning {} but returns {}", m.signature,
                                           type_string(bm->return_type), type_string(m.return_type)));
        m.ordinal = bm->ordinal;
      }
    }
    std::map<std::int32_t, const MethodInfo*> by_ordinal;
    std::int32_t highest = -1;
    for (const MethodInfo& m : info.methods) {
      if (auto seen = by_ordinal.find(m.ordinal);
          seen != by_ordinal.end() && !m.generated && !seen->second->generated && !(m.fixed && seen->second->fixed))
        sink_.error(m.where, fmt::format("methods {} and {} both have ordinal {}", seen->second->signature, m.signature, m.ordinal));
      by_ordinal[m.ordinal] = &m;
      highest = std::max(highest, m.ordinal);
    }
    info.method_slots = std::max(parent ? parent->method_slots : 0, highest + 1);
    info.numbered = true;
  }

  // The interfaces a class implements, and those they implement in turn, nearest first.
  std::vector<std::string> all_interfaces(const ClassInfo& info) {
    std::vector<std::string> out;
    std::vector<std::string> pending(info.interfaces.rbegin(), info.interfaces.rend());
    std::set<std::string> seen;
    while (!pending.empty()) {
      std::string iname = pending.back();
      pending.pop_back();
      if (!seen.insert(iname).second) continue;
      out.push_back(iname);
      if (ClassInfo* iface = table_.find(iname))
        for (auto it = iface->interfaces.rbegin(); it != iface->interfaces.rend(); ++it) pending.push_back(*it);
    }
    return out;
  }

  // A class must itself define every method of the interfaces it implements, and of the interfaces
  // those implement (§3.5.6). An interface that implements another just adds that one's methods.
  void check_interfaces(ClassInfo& info) {
    if (info.is_interface) return;
    for (const std::string& iname : all_interfaces(info)) {
      ClassInfo* iface = table_.find(iname);
      if (!iface) continue;
      if (!iface->is_interface && iface->from_source)
        sink_.warning(info.decl->name.where, fmt::format("{} is a class, not an interface", iname));
      for (const MethodInfo& im : iface->methods) {
        const MethodInfo* own = nullptr;
        for (const MethodInfo& m : info.methods)
          if (m.name == im.name && m.params == im.params) own = &m;
        if (!own) {
          sink_.error(info.decl->name.where, fmt::format("method {} is required by interface {}", im.signature, iname));
          continue;
        }
        if (!im.constructor && own->ordinal != im.ordinal)
          sink_.warning(own->where, fmt::format("{} has ordinal {} here but {} in interface {}: calls through the interface will not reach it",
                                                own->signature, own->ordinal, im.ordinal, iname));
      }
    }
  }

  ClassTable& table_;
  DiagnosticSink& sink_;
  std::vector<ClassInfo*> order_;
  std::set<std::string> numbering_;
};

}  // namespace

void declare_classes(const std::vector<Unit>& units, ClassTable& table, DiagnosticSink& sink) {
  Declarer(table, sink).run(units);
}

}  // namespace phantom::plc
