// Classes: the internal class table, loading class files into the arena, and lookup by name
// (VM layer, pvm.md §1.4, §3.4, §3.10). May call: util/, host/, classfile/.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>

#include "classfile/bytecode.h"
#include "classfile/class_reader.h"
#include "vm/internal_classes.h"
#include "vm/vm.h"

namespace phantom::vm {
namespace {

std::string lower(std::string_view name) {
  std::string out(name);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The file name of a class: one leading dot stripped, ".pc" appended (pvm.md §1.5).
std::string file_name_of(std::string_view name) {
  if (!name.empty() && name[0] == '.') name.remove_prefix(1);
  return std::string(name) + ".pc";
}

Result<std::vector<std::uint8_t>> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::not_found, "{}: cannot open", path.string());
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return make_error(Errc::io, "{}: read error", path.string());
  return bytes;
}

}  // namespace

Result<classfile::ClassFile> read_class(std::string_view path) {
  PHANTOM_ASSIGN(auto bytes, read_file(std::filesystem::path(path)));
  return classfile::read_class_file(bytes, path);
}

Ref Vm::make_class(std::string_view name, ClassId id) {
  const InternalClassInfo& info = internal_class_info(id);
  Ref cls = internal_[id];
  ClassData* cd = class_data(cls);
  cd->instance_flags = info.instance_flags;
  cd->instance_size = info.instance_size;
  cd->sys_table_id = id;
  cd->method_slots = sys_interface_size;
  cd->method_table = sys_codes_;
  cd->name = new_string(name);
  cd->parent = id == cid_void ? raw_null : internal_[cid_void];
  cd->static_vars = new_array();
  return cls;
}

bool Vm::is_or_child(Ref obj, Ref cls) const {
  if (is_null(obj) || is_null(cls)) return false;
  for (Ref k = class_of(obj); k != raw_null; k = class_data(k)->parent)
    if (k == cls) return true;
  return false;
}

std::string Vm::class_name(Ref cls) const {
  if (cls == raw_null || class_of(cls) != internal_[cid_class]) return "(not a class)";
  Ref name = class_data(cls)->name;
  return name == raw_null ? std::string("(unnamed class)") : std::string(string_of(name));
}

Ref Vm::find_cached_class(std::string_view name) {
  std::string key = lower(name);
  if (key == ".internal.object") key = ".internal.void";
  if (key == ".internal.bootstrap") key = ".internal.boot";
  auto it = class_by_name_.find(key);
  return it == class_by_name_.end() ? raw_null : it->second;
}

Result<Ref> Vm::define_class(const classfile::ClassFile& file, std::string_view source) {
  const classfile::ClassHeader& h = file.header;
  std::string where = fmt::format("{} (class {})", source, h.name);
  if (h.object_slots < 0 || h.object_slots > 65535)
    return make_error(Errc::corrupt, "{}: {} fields is out of range 0..65535", where, h.object_slots);
  if (h.method_slots < 0 || h.method_slots > 65535)
    return make_error(Errc::corrupt, "{}: {} method slots is out of range 0..65535", where, h.method_slots);
  if (Ref existing = find_cached_class(h.name); existing != raw_null) return existing;

  Ref parent = internal_[cid_void];
  std::string parent_key = lower(h.parent);
  if (parent_key != ".internal.object" && parent_key != ".internal.void" && !h.parent.empty()) {
    if (lower(h.parent) == lower(h.name)) return make_error(Errc::corrupt, "{}: the class is its own parent", where);
    auto found = lookup_class(h.parent);
    if (!found.ok()) return make_error(Errc::not_found, "{}: parent class: {}", where, found.error().message);
    parent = *found;
    if (class_data(parent)->sys_table_id >= 0) {
      console_.write_diagnostic(fmt::format("phantom: class {} attempted to extend internal class {}; its parent is "
                                            ".internal.object now\n", h.name, h.parent));
      parent = internal_[cid_void];
    }
  }
  // Verify every method before anything is allocated, so a bad file leaves no trace in the world.
  std::vector<std::vector<classfile::Instruction>> decoded;
  for (const classfile::Method& m : file.methods) {
    if (m.ordinal < 0 || m.ordinal >= h.method_slots)
      return make_error(Errc::corrupt, "{}: method {} has ordinal {} outside the {} method slots", where, m.name,
                        m.ordinal, h.method_slots);
    std::string method = fmt::format("{}: method {} (ordinal {})", where, m.name, m.ordinal);
    PHANTOM_ASSIGN(auto code, classfile::decode_code(m.code, method));
    PHANTOM_TRY(classfile::check_object_stack(code, method));
    decoded.push_back(std::move(code));
  }
  std::int32_t max_const = -1;
  for (const classfile::Constant& k : file.constants) {
    if (k.id < 0 || k.id > 1'000'000) return make_error(Errc::corrupt, "{}: constant id {} is out of range", where, k.id);
    max_const = std::max(max_const, k.id);
  }
  for (const classfile::FieldName& f : file.fields)
    if (f.ordinal < 0 || f.ordinal >= h.object_slots)
      return make_error(Errc::corrupt, "{}: field {} has ordinal {} outside the {} fields", where, f.name, f.ordinal,
                        h.object_slots);

  Ref cls = alloc(internal_[cid_class], internal_class_info(cid_class).instance_flags, Kind::klass, sizeof(ClassData));
  TempRoots roots(*this);
  roots.add(cls);  // reachable before it is in the class cache
  ClassData* cd = class_data(cls);
  cd->instance_flags = 0;
  cd->instance_size = static_cast<std::uint32_t>(h.object_slots) * sizeof(Ref);
  cd->sys_table_id = -1;
  cd->method_slots = static_cast<std::uint32_t>(h.method_slots);
  cd->object_slots = static_cast<std::uint32_t>(h.object_slots);
  cd->parent = parent;
  Ref v;
  v = new_string(h.name); class_data(cls)->name = v;
  v = new_string(source); class_data(cls)->source = v;
  v = new_array(); class_data(cls)->static_vars = v;
  v = alloc(internal_[cid_interface], flag_interface, Kind::refs, cd->method_slots * sizeof(Ref));
  class_data(cls)->method_table = v;
  v = new_page(cd->method_slots, null_object_); class_data(cls)->method_names = v;
  v = new_page(cd->object_slots, null_object_); class_data(cls)->field_names = v;
  v = new_page(static_cast<std::uint32_t>(max_const + 1), null_object_); class_data(cls)->const_pool = v;
  cd = class_data(cls);
  Ref* table = fresh_page_refs(cd->method_table);
  ClassData* pd = class_data(parent);
  std::uint32_t inherited = std::min(cd->method_slots, pd->method_slots);
  for (std::uint32_t i = 0; i < cd->method_slots; ++i)
    table[i] = i < inherited ? page_refs(pd->method_table)[i] : null_object_;
  for (std::size_t i = 0; i < file.methods.size(); ++i) {
    const classfile::Method& m = file.methods[i];
    auto length = static_cast<std::uint32_t>(m.code.size());
    Ref code = alloc(internal_[cid_code], internal_class_info(cid_code).instance_flags, Kind::code,
                     static_cast<std::uint32_t>(sizeof(CodeData) + length + 1));
    set_page_ref(class_data(cls)->method_table, m.ordinal, code);
    auto* c = heap_.as<CodeData>(code);
    c->owner = cls;
    c->ordinal = static_cast<std::uint32_t>(m.ordinal);
    c->length = length;
    if (length) std::memcpy(c->bytes, m.code.data(), length);
    c->bytes[length] = end_of_code;
    Ref name = new_string(m.name);
    heap_.as<CodeData>(code)->name = name;
    set_page_ref(class_data(cls)->method_names, m.ordinal, name);
    for (const classfile::LineMap& map : file.line_maps) {
      if (map.ordinal != m.ordinal || map.entries.empty()) continue;
      std::vector<LinePair> pairs;
      for (const classfile::LineEntry& e : map.entries)
        if (e.ip >= 0 && e.ip <= length) pairs.push_back({static_cast<std::uint32_t>(e.ip), static_cast<std::uint32_t>(e.line)});
      std::sort(pairs.begin(), pairs.end(), [](const LinePair& a, const LinePair& b) { return a.ip < b.ip; });
      Ref lines = new_binary(static_cast<std::uint32_t>(pairs.size() * sizeof(LinePair)));
      if (!pairs.empty()) std::memcpy(heap_.as<BinaryData>(lines)->bytes, pairs.data(), pairs.size() * sizeof(LinePair));
      heap_.as<CodeData>(code)->lines = lines;
    }
  }
  for (const classfile::FieldName& f : file.fields) {
    Ref name = new_string(f.name);
    set_page_ref(class_data(cls)->field_names, f.ordinal, name);
  }
  for (const classfile::Constant& k : file.constants) {
    if (k.type.is_container || k.type.main != ".internal.string") {
      console_.write_diagnostic(fmt::format("phantom: {}: constant {} of type {} ignored (only strings are supported)\n",
                                            where, k.id, k.type.main));
      continue;
    }
    Ref s = new_string(std::string_view(reinterpret_cast<const char*>(k.value.data()), k.value.size()));
    set_page_ref(class_data(cls)->const_pool, k.id, s);
  }
  // Into the persistent class cache (pvm.md §3.10), keyed by the lower-cased name (B26).
  Ref key = new_string(lower(h.name));
  dir_put(root_slot(root_class_cache), key, cls, true);
  class_by_name_[lower(h.name)] = cls;
  return cls;
}

Result<Ref> Vm::load_from_class_path(std::string_view name) {
  std::string wanted = lower(file_name_of(name));
  std::string bulk_name = lower(name.substr(name.starts_with('.') ? 1 : 0));
  for (const std::string& entry : class_path_) {
    std::error_code ec;
    std::filesystem::path dir(entry);
    if (std::filesystem::is_directory(dir, ec)) {
      // Case-insensitive (B26): the compiler lower-cases names in summon_by_name.
      for (const auto& file : std::filesystem::directory_iterator(dir, ec)) {
        if (lower(file.path().filename().string()) != wanted) continue;
        PHANTOM_ASSIGN(auto parsed, read_class(file.path().string()));
        if (lower(parsed.header.name) != lower(name) && lower(parsed.header.name) != "." + bulk_name)
          return make_error(Errc::corrupt, "{}: holds class {}, not {}", file.path().string(), parsed.header.name, name);
        for (const std::string& w : parsed.warnings) console_.write_diagnostic(fmt::format("phantom: {}\n", w));
        return define_class(parsed, file.path().string());
      }
    } else if (std::filesystem::is_regular_file(dir, ec)) {
      PHANTOM_ASSIGN(auto bytes, read_file(dir));
      PHANTOM_ASSIGN(auto entries, classfile::read_bulk_container(bytes, entry));
      for (const classfile::BulkEntry& e : entries) {
        std::string n = lower(e.name);
        std::replace(n.begin(), n.end(), '/', '.');
        if (!n.empty() && n[0] == '.') n.erase(0, 1);
        if (n != bulk_name) continue;
        std::string source = fmt::format("{}:{}", entry, e.name);
        PHANTOM_ASSIGN(auto parsed, classfile::read_class_file(e.data, source));
        return define_class(parsed, source);
      }
    }
  }
  return make_error(Errc::not_found, "class {} not found in the class path ({})", name,
                    class_path_.empty() ? std::string("empty") : fmt::format("{}", fmt::join(class_path_, ":")));
}

Result<Ref> Vm::load_class_from_path(std::string_view name) {
  if (Ref cls = find_cached_class(name); cls != raw_null) return cls;
  return load_from_class_path(name);
}

Result<Ref> Vm::lookup_class(std::string_view name) {
  if (Ref cls = find_cached_class(name); cls != raw_null) return cls;
  Ref loader = root_slot(root_class_loader);
  if (!is_null(loader)) {
    Ref arg = new_string(name);
    auto found = call_sync(loader, 8, {arg});
    if (!found.ok()) return found.take_error();
    if (!is_null(*found)) {
      if (class_of(*found) != internal_[cid_class])
        return make_error(Errc::invalid_argument, "the class loader returned a {} for {}, not a class",
                          class_name(class_of(*found)), name);
      Ref key = new_string(lower(name));
      dir_put(root_slot(root_class_cache), key, *found, true);
      class_by_name_[lower(name)] = *found;
      return *found;
    }
  }
  return load_from_class_path(name);
}

}  // namespace phantom::vm
