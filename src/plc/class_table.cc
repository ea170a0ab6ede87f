// Class table (compiler layer).
#include "plc/class_table.h"

#include <algorithm>
#include <fstream>
#include <iterator>

#include <fmt/format.h>

#include "classfile/class_reader.h"

namespace phantom::plc {

const MethodInfo* ClassInfo::method_by_signature(const std::string& signature) const {
  for (const auto& m : methods)
    if (m.signature == signature) return &m;
  return nullptr;
}

std::vector<std::size_t> hash_map_order(const std::vector<std::string>& keys) {
  std::uint32_t capacity = 16;
  while (keys.size() > capacity * 3 / 4) capacity *= 2;
  std::vector<std::pair<std::uint32_t, std::size_t>> buckets;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    std::uint32_t h = 0;
    for (unsigned char c : keys[i]) h = 31 * h + c;  // String.hashCode (names are ASCII)
    std::uint32_t spread = h ^ (h >> 16);
    buckets.emplace_back(spread & (capacity - 1), i);
  }
  std::stable_sort(buckets.begin(), buckets.end(), [](auto& a, auto& b) { return a.first < b.first; });
  std::vector<std::size_t> order;
  for (auto& b : buckets) order.push_back(b.second);
  return order;
}

ClassInfo* ClassTable::find(const std::string& name) {
  auto it = classes_.find(name);
  return it == classes_.end() ? nullptr : it->second.get();
}

ClassInfo& ClassTable::add_source_class(const std::string& name) {
  auto info = std::make_unique<ClassInfo>();
  info->name = name;
  info->from_source = true;
  ClassInfo& ref = *info;
  classes_[name] = std::move(info);
  return ref;
}

bool ClassTable::loadable(const std::string& name) {
  std::string error;
  return find_or_load(name, error) != nullptr;
}

ClassInfo* ClassTable::find_or_load(const std::string& name, std::string& error) {
  if (ClassInfo* known = find(name)) return known;
  if (auto failed = load_failures_.find(name); failed != load_failures_.end()) {
    error = failed->second;
    return nullptr;
  }
  std::string key = name.starts_with('.') ? name.substr(1) : name;
  std::string lower = key;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  std::vector<std::string> candidates = {key};
  if (lower != key) candidates.push_back(lower);  // class stores written by the original are lower-case
  for (const std::string& dir : class_path_) {
    for (const std::string& candidate : candidates) {
      std::string path = dir + "/" + candidate + ".pc";
      std::ifstream in(path, std::ios::binary);
      if (!in) continue;
      std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      auto file = classfile::read_class_file(bytes, path);
      if (!file.ok()) {
        error = file.error().message;
        load_failures_[name] = error;
        return nullptr;
      }
      auto info = std::make_unique<ClassInfo>();
      info->name = file->header.name;
      info->file = path;
      info->parent = file->header.parent;
      if (info->name == ".internal.object" || info->parent == info->name) info->parent.clear();
      info->explicit_parent = !info->parent.empty() && info->parent != ".internal.object";
      info->method_slots = file->header.method_slots;
      info->field_slots = file->header.object_slots;
      info->numbered = true;
      for (const auto& s : file->signatures) {
        MethodInfo m;
        m.name = s.name;
        m.ordinal = s.ordinal;
        m.fixed = true;
        m.constructor = s.is_constructor || s.name == "<init>";
        m.return_type = from_record(s.return_type);
        m.signature = s.name;
        for (const auto& a : s.arguments) {
          m.param_names.push_back(a.name);
          m.params.push_back(from_record(a.type));
          m.signature += "_#_" + type_string(m.params.back());
        }
        if (s.arguments.empty()) m.signature += "_#_void";
        info->method_slots = std::max(info->method_slots, m.ordinal + 1);
        info->methods.push_back(std::move(m));
      }
      for (const auto& f : file->fields) {
        info->fields.push_back(FieldInfo{f.name, f.ordinal, from_record(f.type), {}});
        info->field_slots = std::max(info->field_slots, f.ordinal + 1);
      }
      if (info->name != name) {
        error = fmt::format("{} holds class {}, not {}", path, info->name, name);
        load_failures_[name] = error;
        return nullptr;
      }
      ClassInfo* result = info.get();
      classes_[name] = std::move(info);
      if (!result->parent.empty()) {
        std::string parent_error;
        if (!find_or_load(result->parent, parent_error)) {
          error = fmt::format("{}: its parent {} cannot be loaded: {}", name, result->parent, parent_error);
          classes_.erase(name);
          load_failures_[name] = error;
          return nullptr;
        }
      }
      return result;
    }
  }
  error = fmt::format("class {} is not defined in this compilation nor found on the class path (forgot an import, or the class path?)", name);
  load_failures_[name] = error;
  return nullptr;
}

bool ClassTable::is_subclass(const std::string& src, const std::string& dst) {
  if (dst == ".internal.object") return true;
  std::string cur = src;
  for (int guard = 0; !cur.empty() && guard < 1000; ++guard) {
    if (cur == dst) return true;
    ClassInfo* c = find(cur);
    if (!c) return false;
    for (const std::string& iface : c->interfaces)  // known only for classes compiled in this run
      if (iface != cur && is_subclass(iface, dst)) return true;
    cur = c->parent;
  }
  return false;
}

bool ClassTable::is_interface(const std::string& name) {
  ClassInfo* c = find(name);
  return c && c->is_interface;
}

bool ClassTable::assignable(const Type& dst, const Type& src) {
  if (dst == src) return true;
  if (dst.is_void() || src.is_void()) return false;
  if (dst.unknown()) return true;
  if (src.unknown()) return false;
  if (dst.container != src.container) return dst.base == Base::object && dst.cls == ".internal.object" && !dst.container;
  if (dst.numeric() && src.numeric()) return true;
  if (dst.container) return dst.element().unknown() || assignable(dst.element(), src.element());
  std::string d = dst.holder_class(), s = src.holder_class();
  if (d.empty() || s.empty()) return false;
  return is_subclass(s, d);
}

const MethodInfo* ClassTable::lookup(const std::string& cls, const std::string& name, const std::vector<Type>& args,
                                     bool object_fallback, const ClassInfo** found_in) {
  std::string signature = name;
  for (const auto& a : args) signature += "_#_" + type_string(a);
  if (args.empty()) signature += "_#_void";
  std::string cur = cls;
  bool searched_object = false;
  for (int guard = 0; !cur.empty() && guard < 1000; ++guard) {
    ClassInfo* c = find(cur);
    if (!c) break;
    if (cur == ".internal.object") searched_object = true;
    if (const MethodInfo* exact = c->method_by_signature(signature)) {
      if (found_in) *found_in = c;
      return exact;
    }
    std::vector<std::string> keys;
    for (const auto& m : c->methods) keys.push_back(m.signature);
    for (std::size_t i : hash_map_order(keys)) {
      const MethodInfo& m = c->methods[i];
      if (m.name != name || m.params.size() != args.size()) continue;
      bool ok = true;
      for (std::size_t k = 0; k < args.size() && ok; ++k) ok = assignable(m.params[k], args[k]);
      if (ok) {
        if (found_in) *found_in = c;
        return &m;
      }
    }
    if (!c->explicit_parent) break;
    cur = c->parent;
  }
  if (object_fallback && !searched_object) return lookup(".internal.object", name, args, false, found_in);
  return nullptr;
}

const FieldInfo* ClassTable::field(const std::string& cls, const std::string& name) {
  std::string cur = cls;
  for (int guard = 0; !cur.empty() && guard < 1000; ++guard) {
    ClassInfo* c = find(cur);
    if (!c) return nullptr;
    for (auto it = c->fields.rbegin(); it != c->fields.rend(); ++it)  // a duplicate hides the first
      if (it->name == name) return &*it;
    cur = c->parent;
  }
  return nullptr;
}

}  // namespace phantom::plc
