// Class table: every class the compiler knows in one run, from source or from class files
// (compiler layer, spec/language.md §3.1, §3.4-§3.5 and Appendix A).
// Owns method ordinals and field slots. Ordinals follow the original compiler exactly (Java HashMap
// order of signatures, Appendix A), with the fixes language.md recommends: default constructors exist
// before numbering, fields are numbered from the parent's total, header counts are never below the
// parent's. An implementing method takes its interface's ordinal where that slot is free.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "plc/ast.h"
#include "plc/types.h"

namespace phantom::plc {

struct MethodInfo {
  std::string name;       // "<init>" for constructors
  std::string signature;  // name_#_type_#_type (§3.5.1)
  std::int32_t ordinal = -1;
  bool fixed = false;     // `[N]`
  bool constructor = false;
  bool generated = false; // the default constructor
  Type return_type;
  std::vector<std::string> param_names;
  std::vector<Type> params;
  const MethodDecl* decl = nullptr;
  Location where;
};

struct FieldInfo {
  std::string name;
  std::int32_t ordinal = 0;
  Type type;
  Location where;
};

struct ClassInfo {
  std::string name;                  // full name, ".a.b.c"
  std::string parent;                // ".internal.object" when not explicit; "" for .internal.object itself
  bool explicit_parent = false;      // written with `extends` (overriding and lookup follow only such parents)
  bool is_interface = false;
  bool from_source = false;
  std::vector<std::string> interfaces;
  std::vector<MethodInfo> methods;   // insertion order, one per signature
  std::vector<FieldInfo> fields;     // own fields, declaration order
  std::int32_t method_slots = 0;     // header count
  std::int32_t field_slots = 0;      // total instance slots, the parent's included
  const ClassDecl* decl = nullptr;
  std::string file;                  // where it came from (source or class file), for messages
  bool numbered = false;

  bool internal() const { return name.starts_with(".internal."); }
  const MethodInfo* method_by_signature(const std::string& signature) const;
};

// Java's HashMap iteration order of `keys` (Appendix A): indices into `keys`, in iteration order.
std::vector<std::size_t> hash_map_order(const std::vector<std::string>& keys);

class ClassTable {
 public:
  explicit ClassTable(std::vector<std::string> class_path) : class_path_(std::move(class_path)) {}

  ClassInfo* find(const std::string& name);
  // Finds a class, loading it (and its parents) from the class path when it is not known yet.
  // Returns nullptr when there is no such class; `error` then says why.
  ClassInfo* find_or_load(const std::string& name, std::string& error);
  bool loadable(const std::string& name);
  ClassInfo& add_source_class(const std::string& name);

  // The method a call `name(args)` selects in `cls` and, through explicit parents, its ancestors (§3.5.2).
  // When `object_fallback` is set, `.internal.object` is searched last (our extension, quirk 20).
  const MethodInfo* lookup(const std::string& cls, const std::string& name, const std::vector<Type>& args,
                           bool object_fallback, const ClassInfo** found_in = nullptr);
  // The field `name` of `cls` or an ancestor.
  const FieldInfo* field(const std::string& cls, const std::string& name);
  // Is a value of class `src` acceptable where class `dst` is expected (§3.3.2)?
  bool is_subclass(const std::string& src, const std::string& dst);
  bool assignable(const Type& dst, const Type& src);
  bool is_interface(const std::string& name);

  std::map<std::string, std::unique_ptr<ClassInfo>>& all() { return classes_; }

 private:
  std::map<std::string, std::unique_ptr<ClassInfo>> classes_;
  std::vector<std::string> class_path_;
  std::map<std::string, std::string> load_failures_;
};

}  // namespace phantom::plc
