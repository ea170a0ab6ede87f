// Types of the Phantom language and their class-file form (compiler layer, spec/language.md §3.3).
#pragma once

#include <cstdint>
#include <string>

#include "classfile/class_file.h"

namespace phantom::plc {

enum class Base : std::uint8_t { void_, int_, long_, float_, double_, object, unknown };

// A static type: a number, an object of a class, unknown (untyped), or a container of one of these.
struct Type {
  Base base = Base::unknown;
  std::string cls;         // Base::object: the class's full name (".internal.string" for string)
  bool container = false;  // a `.internal.container.array` of (base, cls)

  static Type of(Base b) { return Type{b, {}, false}; }
  static Type object(std::string c) { return Type{Base::object, std::move(c), false}; }

  bool numeric() const { return !container && (base == Base::int_ || base == Base::long_ || base == Base::float_ || base == Base::double_); }
  bool unknown() const { return !container && base == Base::unknown; }
  bool is_void() const { return !container && base == Base::void_; }
  bool is_string() const { return !container && base == Base::object && cls == ".internal.string"; }
  bool wide() const { return !container && (base == Base::long_ || base == Base::double_); }  // two IS cells
  Type element() const { Type t = *this; t.container = false; if (t.base == Base::void_) t.base = Base::unknown; return t; }
  // The class that holds values of this type (`.internal.int` for int, the array class for containers).
  std::string holder_class() const;
  bool operator==(const Type&) const = default;
};

// The type string of signatures and messages (§3.3.1): int, string, unknown, .a.b.c, int[].
std::string type_string(const Type& type);
// The class-file type record (§4.1) and back.
classfile::TypeRef type_record(const Type& type);
Type from_record(const classfile::TypeRef& record);
// The type a full class name denotes: `.internal.int` is int, `.internal.string` string, and so on.
Type type_for_class(const std::string& full_name);

// The common numeric type of a binary operation (§3.3.3); Base::unknown when there is none.
Base common_numeric(Base a, Base b);

inline std::uint8_t prefix_of(Base b) {  // the type prefix byte of an IS instruction, 0 for int
  switch (b) {
    case Base::long_: return 0x5C;
    case Base::float_: return 0x5D;
    case Base::double_: return 0x5E;
    default: return 0;
  }
}

}  // namespace phantom::plc
