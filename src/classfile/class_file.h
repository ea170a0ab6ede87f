// Class file: the in-memory form of a Phantom class file (class-file layer).
// A class file is a stream of "phfr:" records (spec/pvm.md §1): C (class header, first and once),
// M (method), S (signature, two historical layouts), l (IP->line map), f (field names) and
// c (constant-pool entry). This header is the model shared by the reader, the writer, the VM's loader
// and the compiler. All numbers in the file are big-endian.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace phantom::classfile {

// A type descriptor: a plain class (`.internal.int`), untyped (main empty), or a container (`T[]`).
struct TypeRef {
  bool is_container = false;
  std::string main;       // class name, or the container class
  std::string contained;  // element class of a container, else empty
  bool operator==(const TypeRef&) const = default;
};

struct ClassHeader {  // record C
  std::string name;
  std::int32_t object_slots = 0;
  std::int32_t method_slots = 0;
  std::string parent = ".internal.object";
  std::optional<std::string> version;  // compile time "YYYYMMDDhhmmssSSS"; absent in the oldest files
  bool operator==(const ClassHeader&) const = default;
};

struct Method {  // record M
  std::string name;
  std::int32_t ordinal = 0;
  std::vector<std::uint8_t> code;
  bool operator==(const Method&) const = default;
};

// S1 (before Sept 2017) lacks the is_constructor field; the two cannot be told apart by a version,
// so the reader takes whichever consumes the record exactly (S2 first).
enum class SignatureLayout { s1, s2 };

struct Argument {
  std::string name;
  TypeRef type;
  bool operator==(const Argument&) const = default;
};

struct Signature {  // record S
  SignatureLayout layout = SignatureLayout::s2;
  std::string name;
  std::int32_t ordinal = 0;
  bool is_constructor = false;
  TypeRef return_type;
  std::vector<Argument> arguments;
  bool operator==(const Signature&) const = default;
};

struct LineEntry {
  std::int64_t ip = 0;
  std::int32_t line = 0;
  bool operator==(const LineEntry&) const = default;
};

struct LineMap {  // record l
  std::int32_t ordinal = 0;
  std::vector<LineEntry> entries;
  bool operator==(const LineMap&) const = default;
};

struct FieldName {  // one tuple of an f record
  std::string name;
  std::int32_t ordinal = 0;
  TypeRef type;
  bool operator==(const FieldName&) const = default;
};

struct Constant {  // record c; only string constants (main `.internal.string`) have a meaning
  std::int32_t id = 0;
  TypeRef type;
  std::vector<std::uint8_t> value;
  bool operator==(const Constant&) const = default;
};

struct ClassFile {
  ClassHeader header;
  std::vector<Method> methods;        // in file order
  std::vector<Signature> signatures;
  std::vector<LineMap> line_maps;
  std::vector<FieldName> fields;
  std::vector<Constant> constants;
  std::vector<std::string> warnings;  // records the reader skipped, with why
  bool operator==(const ClassFile& other) const {
    return header == other.header && methods == other.methods && signatures == other.signatures &&
           line_maps == other.line_maps && fields == other.fields && constants == other.constants;
  }
};

}  // namespace phantom::classfile
