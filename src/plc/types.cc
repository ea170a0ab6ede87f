// Types (compiler layer, spec/language.md §3.3).
#include "plc/types.h"

namespace phantom::plc {

std::string Type::holder_class() const {
  if (container) return ".internal.container.array";
  switch (base) {
    case Base::int_: return ".internal.int";
    case Base::long_: return ".internal.long";
    case Base::float_: return ".internal.float";
    case Base::double_: return ".internal.double";
    case Base::object: return cls;
    default: return {};
  }
}

std::string type_string(const Type& type) {
  std::string s;
  switch (type.base) {
    case Base::void_: s = "void"; break;
    case Base::int_: s = "int"; break;
    case Base::long_: s = "long"; break;
    case Base::float_: s = "float"; break;
    case Base::double_: s = "double"; break;
    case Base::unknown: s = "unknown"; break;
    case Base::object: s = type.cls == ".internal.string" ? "string" : type.cls; break;
  }
  return type.container ? s + "[]" : s;
}

Type type_for_class(const std::string& name) {
  if (name == ".internal.int") return Type::of(Base::int_);
  if (name == ".internal.long") return Type::of(Base::long_);
  if (name == ".internal.float") return Type::of(Base::float_);
  if (name == ".internal.double") return Type::of(Base::double_);
  if (name == ".internal.void") return Type::of(Base::void_);
  if (name.empty()) return Type::of(Base::unknown);
  return Type::object(name);
}

classfile::TypeRef type_record(const Type& type) {
  Type element = type;
  element.container = false;
  std::string name = type.base == Base::unknown ? std::string() : type.base == Base::void_ ? ".internal.void" : element.holder_class();
  if (!type.container) return {false, name, ""};
  if (type.base == Base::void_) name.clear();
  return {true, ".internal.container.array", name};
}

Type from_record(const classfile::TypeRef& record) {
  if (!record.is_container) return type_for_class(record.main);
  Type t = record.contained.empty() ? Type::of(Base::unknown) : type_for_class(record.contained);
  if (t.base == Base::void_) t.base = Base::unknown;
  t.container = true;
  return t;
}

Base common_numeric(Base a, Base b) {
  auto rank = [](Base x) {
    switch (x) {
      case Base::int_: return 1;
      case Base::long_: return 2;
      case Base::float_: return 3;
      case Base::double_: return 4;
      default: return 0;
    }
  };
  if (!rank(a) || !rank(b)) return Base::unknown;
  return rank(a) >= rank(b) ? a : b;
}

}  // namespace phantom::plc
