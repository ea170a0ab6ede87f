// Vm: construction, object creation helpers, arrays and directories, first boot and attach
// (VM layer, pvm.md §3.5, §3.8, §3.9). May call: util/, host/, store/ (WorldControl), classfile/.
#include "vm/vm.h"

#include <algorithm>
#include <cmath>

#include "vm/internal_classes.h"

namespace phantom::vm {

Vm::Vm(Heap& heap, host::Clock& clock, Console& console, VmOptions options)
    : heap_(heap), clock_(clock), console_(console), options_(std::move(options)) {
  build_natives();
  gc_threshold_ = gc_alloc_limit_ = options_.gc_min_bytes;
  const char* verify = std::getenv("PHANTOM_GC_VERIFY");
  gc_verify_ = verify && *verify && *verify != '0';
}

Vm::~Vm() = default;

Ref Vm::new_instance(Ref cls) {
  ClassData* cd = class_data(cls);
  if (cd->sys_table_id < 0) {
    Ref obj = alloc(cls, cd->instance_flags, Kind::refs, cd->instance_size);
    std::fill_n(heap_.as<Ref>(obj), cd->instance_size / sizeof(Ref), null_object_);
    return obj;
  }
  auto id = static_cast<ClassId>(cd->sys_table_id);
  const InternalClassInfo& info = internal_class_info(id);
  switch (id) {
    case cid_array: return new_array();
    case cid_directory: return new_directory();
    case cid_string: return new_string("");
    case cid_binary: return new_binary(0);
    case cid_page: return new_page(0, null_object_);
    case cid_void: return alloc(cls, info.instance_flags, info.kind, 0);
    case cid_class: {
      Ref k = alloc(cls, info.instance_flags, Kind::klass, sizeof(ClassData));
      ClassData* nd = class_data(k);
      nd->sys_table_id = -1;
      nd->parent = internal_[cid_void];
      nd->method_table = alloc(internal_[cid_interface], flag_interface, Kind::refs, 0);
      Ref v = new_array();
      class_data(k)->static_vars = v;
      return k;
    }
    case cid_thread: {
      Ref t = alloc(cls, info.instance_flags, Kind::thread, sizeof(ThreadData));
      thread_data(t)->state = ThreadState::finished;
      return t;
    }
    case cid_mutex: case cid_cond: case cid_sema: {
      Ref m = alloc(cls, info.instance_flags, Kind::mutex, sizeof(MutexData));
      Ref w = new_array();
      heap_.as<MutexData>(m)->waiters = w;
      return m;
    }
    case cid_closure: case cid_weakref: {
      Ref o = alloc(cls, info.instance_flags, info.kind, info.instance_size);
      heap_.as<Ref>(o)[0] = null_object_;
      return o;
    }
    default: {
      Ref o = alloc(cls, info.instance_flags, info.kind, info.instance_size);
      if (constructors_[id]) constructors_[id](*this, o);
      return o;
    }
  }
}

Ref Vm::new_string_uninitialized(std::uint32_t length) {
  if (length > UINT32_MAX - 64) throw OutOfMemory{};
  Ref s = alloc(internal_[cid_string], internal_class_info(cid_string).instance_flags, Kind::bytes, 4 + length, false);
  heap_.as<StringData>(s)->length = length;
  return s;
}

Ref Vm::new_string(std::string_view text) {
  if (text.size() > UINT32_MAX - 64) throw OutOfMemory{};
  Ref s = new_string_uninitialized(static_cast<std::uint32_t>(text.size()));
  if (!text.empty()) std::memcpy(heap_.as<StringData>(s)->bytes, text.data(), text.size());
  return s;
}

Ref Vm::new_binary(std::uint32_t size) {
  Ref b = alloc(internal_[cid_binary], internal_class_info(cid_binary).instance_flags, Kind::bytes, 4 + size);
  heap_.as<BinaryData>(b)->length = size;
  return b;
}

Ref Vm::new_long(std::int64_t v) {
  Ref o = alloc(internal_[cid_long], flag_internal | flag_childfree | flag_immutable, Kind::bytes, 8);
  std::memcpy(heap_.data(o), &v, 8);
  return o;
}
Ref Vm::new_float(float v) {
  Ref o = alloc(internal_[cid_float], flag_internal | flag_childfree | flag_immutable, Kind::bytes, 4);
  std::memcpy(heap_.data(o), &v, 4);
  return o;
}
Ref Vm::new_double(double v) {
  Ref o = alloc(internal_[cid_double], flag_internal | flag_childfree | flag_immutable, Kind::bytes, 8);
  std::memcpy(heap_.data(o), &v, 8);
  return o;
}

Ref Vm::new_page(std::uint32_t slots, Ref fill) {
  Ref p = alloc(internal_[cid_page], 0, Kind::refs, slots * sizeof(Ref));
  if (fill != raw_null) std::fill_n(fresh_page_refs(p), slots, fill);
  return p;
}

Ref Vm::new_array() {
  Ref a = alloc(internal_[cid_array], internal_class_info(cid_array).instance_flags, Kind::array, sizeof(ArrayData));
  Ref page = new_page(0, raw_null);
  heap_.as<ArrayData>(a)->page = page;
  return a;
}

Ref Vm::array_get(Ref array, std::uint32_t index) const {
  auto* a = heap_.as<ArrayData>(array);
  if (index >= a->count) return null_object_;
  Ref v = page_refs(a->page)[index];
  return v == raw_null ? null_object_ : v;
}

void Vm::array_set(Ref array, std::uint32_t index, Ref value) {
  auto* a = heap_.as<ArrayData>(array);
  std::uint32_t capacity = page_slots(a->page);
  if (index >= capacity) {
    // pvm.md §4.3.3: doubling below 512, then steps of 1024; at least 16.
    std::uint64_t want = index < 512 ? std::max<std::uint64_t>(16, 2ull * index) : index + 1024ull;
    if (want > (1u << 28)) throw OutOfMemory{};
    Ref page = new_page(static_cast<std::uint32_t>(want), null_object_);
    a = heap_.as<ArrayData>(array);
    std::memcpy(fresh_page_refs(page), page_refs(a->page), a->count * sizeof(Ref));
    set_ref(a->page, page);
  }
  Ref* slots = heap_.as<Ref>(a->page);
  for (std::uint32_t i = a->count; i < index; ++i) slots[i] = null_object_;  // past the count: no value
  set_ref(slots[index], value);
  if (index >= a->count) a->count = index + 1;
}

void Vm::array_remove(Ref array, Ref value) {
  auto* a = heap_.as<ArrayData>(array);
  Ref* slots = heap_.as<Ref>(a->page);
  for (std::uint32_t i = 0; i < a->count; ++i) {
    if (slots[i] != value) continue;
    // Every slot from here on is overwritten. The values only move down by one, but a large page
    // is scanned in pieces (gc.cc): a value moving into the part already scanned would be missed.
    for (std::uint32_t j = i; j < a->count; ++j) write_barrier(slots[j]);
    std::memmove(slots + i, slots + i + 1, (a->count - i - 1) * sizeof(Ref));
    slots[--a->count] = null_object_;
    return;
  }
}

// ---- directories: open addressing over a page of (key, value) pairs; tombstone key = null object ----

namespace {
std::uint32_t key_hash(std::string_view key) {  // FNV-1a: stable across builds, positions are persistent
  std::uint32_t h = 2166136261u;
  for (unsigned char c : key) h = (h ^ c) * 16777619u;
  return h;
}
// Key equality, inline: keys are mostly short, and most probes that reach a key compare unequal.
bool same_key(const StringData* k, std::string_view key) {
  if (k->length != key.size()) return false;
  if (key.size() > 16) return std::memcmp(k->bytes, key.data(), key.size()) == 0;
  for (std::size_t i = 0; i < key.size(); ++i)
    if (k->bytes[i] != key[i]) return false;
  return true;
}
}  // namespace

Ref Vm::new_directory() {
  Ref d = alloc(internal_[cid_directory], internal_class_info(cid_directory).instance_flags, Kind::directory,
                sizeof(DirectoryData));
  Ref table = new_page(2 * 16, raw_null);
  heap_.as<DirectoryData>(d)->table = table;
  return d;
}

Ref Vm::dir_get(Ref dir, std::string_view key) const {
  auto* d = heap_.as<DirectoryData>(dir);
  const Ref* t = page_refs(d->table);
  std::uint32_t capacity = page_slots(d->table) / 2;
  for (std::uint32_t i = key_hash(key) & (capacity - 1), n = 0; n < capacity; i = (i + 1) & (capacity - 1), ++n) {
    Ref k = t[2 * i];
    if (k == raw_null) return raw_null;
    if (k != null_object_ && same_key(heap_.as<StringData>(k), key)) return t[2 * i + 1];
  }
  return raw_null;
}

bool Vm::dir_put(Ref dir, Ref key_string, Ref value, bool replace, bool copy_key) {
  auto* d = heap_.as<DirectoryData>(dir);
  std::uint32_t capacity = page_slots(d->table) / 2;
  if ((d->used + 1) * 4 > capacity * 3) {  // keep the load under 3/4, dropping tombstones
    std::uint32_t bigger = capacity;
    while ((d->count + 1) * 2 > bigger) bigger *= 2;
    Ref table = new_page(2 * bigger, raw_null);
    d = heap_.as<DirectoryData>(dir);
    const Ref* old = page_refs(d->table);
    Ref* t = fresh_page_refs(table);
    for (std::uint32_t i = 0; i < capacity; ++i) {
      Ref k = old[2 * i];
      if (k == raw_null || k == null_object_) continue;
      std::uint32_t j = key_hash(string_of(k)) & (bigger - 1);
      while (t[2 * j] != raw_null) j = (j + 1) & (bigger - 1);
      t[2 * j] = k;
      t[2 * j + 1] = old[2 * i + 1];
    }
    set_ref(d->table, table);
    d->used = d->count;
    capacity = bigger;
  }
  std::string_view key = string_of(key_string);
  Ref* t = heap_.as<Ref>(d->table);
  std::int64_t free_slot = -1;
  std::uint32_t i = key_hash(key) & (capacity - 1);
  for (std::uint32_t n = 0; n < capacity; i = (i + 1) & (capacity - 1), ++n) {
    Ref k = t[2 * i];
    if (k == raw_null) break;
    if (k == null_object_) {
      if (free_slot < 0) free_slot = i;
      continue;
    }
    if (same_key(heap_.as<StringData>(k), key)) {
      if (!replace) return false;
      set_ref(t[2 * i + 1], value);
      return true;
    }
  }
  // A copy allocates but moves nothing: `key`, `d` and `t` stay valid. Made before any count
  // changes, so that running out of memory leaves the directory as it was.
  if (copy_key) key_string = new_string(key);
  if (free_slot < 0) {
    free_slot = i;
    ++d->used;
  }
  set_ref(t[2 * free_slot], key_string);  // a tombstone or an empty slot, whose value may be old
  set_ref(t[2 * free_slot + 1], value);
  ++d->count;
  return true;
}

bool Vm::dir_remove(Ref dir, std::string_view key) {
  auto* d = heap_.as<DirectoryData>(dir);
  Ref* t = heap_.as<Ref>(d->table);
  std::uint32_t capacity = page_slots(d->table) / 2;
  for (std::uint32_t i = key_hash(key) & (capacity - 1), n = 0; n < capacity; i = (i + 1) & (capacity - 1), ++n) {
    Ref k = t[2 * i];
    if (k == raw_null) return false;
    if (k != null_object_ && same_key(heap_.as<StringData>(k), key)) {
      set_ref(t[2 * i], null_object_);
      set_ref(t[2 * i + 1], raw_null);
      --d->count;
      return true;
    }
  }
  return false;
}

// ---- first boot and attach ----

Status Vm::boot() {
  WorldHeader* wh = heap_.header();
  if (wh->state != static_cast<std::uint32_t>(WorldState::empty) || wh->root != raw_null)
    return make_error(Errc::invalid_argument, "the world has already booted");
  class_path_ = options_.class_path;
  try {
    // The class of classes first, then every internal class object, then whatever needs a class.
    for (int id = 0; id < cid_count; ++id)
      internal_[id] = heap_.allocate(raw_null, internal_class_info(cid_class).instance_flags, Kind::klass, sizeof(ClassData));
    for (int id = 0; id < cid_count; ++id) {
      if (internal_[id] == raw_null) throw OutOfMemory{};
      heap_.hdr(internal_[id])->klass = internal_[cid_class];
    }
    set_tagged_int_header();
    Ref root = alloc(internal_[cid_void], 0, Kind::refs, root_slots * sizeof(Ref));
    wh->root = root;
    null_object_ = alloc(internal_[cid_void], internal_class_info(cid_void).instance_flags, Kind::bytes, 0);
    std::fill_n(heap_.as<Ref>(root), root_slots, null_object_);
    set_root_slot(root_null_object, null_object_);
    sys_codes_ = alloc(internal_[cid_interface], flag_interface, Kind::refs, sys_interface_size * sizeof(Ref));
    set_root_slot(root_sys_interface, sys_codes_);
    for (std::uint32_t i = 0; i < sys_interface_size; ++i) {
      Ref code = alloc(internal_[cid_code], internal_class_info(cid_code).instance_flags, Kind::code, sizeof(CodeData) + 4);
      auto* c = heap_.as<CodeData>(code);
      c->owner = internal_[cid_void];
      c->ordinal = i;
      c->length = 3;
      c->bytes[0] = 0x0F;
      c->bytes[1] = static_cast<std::uint8_t>(i);
      c->bytes[2] = 0x08;
      c->bytes[3] = end_of_code;
      set_page_ref(sys_codes_, i, code);
    }
    for (int id = 0; id < cid_count; ++id) {
      make_class(internal_class_info(id).name, static_cast<ClassId>(id));
      set_root_slot(internal_class_info(id).root_slot, internal_[id]);
    }
    for (std::uint32_t i = 0; i < sys_interface_size; ++i) {
      Ref name = new_string(fmt::format("native{}", i));
      heap_.as<CodeData>(page_refs(sys_codes_)[i])->name = name;
    }
    set_root_slot(root_thread_list, new_array());
    set_root_slot(root_users, new_array());
    set_root_slot(root_restart_list, new_array());
    set_root_slot(root_directory, new_directory());
    set_root_slot(root_class_cache, new_directory());
    set_root_slot(root_statistics, new_binary(64));
    out_of_memory_error_ = new_string("out of memory");
    set_root_slot(root_out_of_memory, out_of_memory_error_);
    // Kernel environment: the defaults, then the command line's (later entries win, pvm.md §3.9).
    std::vector<std::string> env = {"root.shell=.ru.dz.phantom.system.shell", "root.init=.ru.dz.phantom.system.init",
                                    "root.boot=.ru.dz.phantom.system.boot"};
    for (const std::string& e : options_.environment) env.push_back(e);
    if (!options_.boot_class.empty()) env.push_back("root.boot=" + options_.boot_class);
    std::vector<std::string> merged;
    for (const std::string& e : env) {
      std::string name = e.substr(0, e.find('='));
      auto same = std::find_if(merged.begin(), merged.end(), [&](const std::string& m) { return m.substr(0, m.find('=')) == name; });
      if (same != merged.end()) *same = e;
      else merged.push_back(e);
    }
    Ref kenv = new_array();
    set_root_slot(root_kernel_environment, kenv);
    for (const std::string& e : merged) array_push(kenv, new_string(e));
    Ref cp = new_array();
    set_root_slot(root_class_path, cp);
    for (const std::string& p : class_path_) array_push(cp, new_string(p));
    rebuild_caches();

    Ref bootstrap = new_instance(internal_[cid_boot]);
    set_root_slot(root_bootstrap, bootstrap);
    if (options_.boot_target) {
      auto target = options_.boot_target(*this);
      if (!target.ok()) return target.take_error();
      wh->state = static_cast<std::uint32_t>(WorldState::booting);
      Ref t = start_thread(target->object, target->ordinal, target->arg, target->name);
      if (t == raw_null) return make_error(Errc::invalid_argument, "{}: no method {} to run", target->name, target->ordinal);
      thread_data(t)->thread_flags |= thread_boot;
      wh->boots = 1;
      return ok_status();
    }
    std::string boot_name = "." ;
    for (const std::string& e : merged)
      if (e.starts_with("root.boot=")) boot_name = e.substr(10);
    auto boot_class = load_class_from_path(boot_name);
    if (!boot_class.ok()) return make_error(Errc::not_found, "boot class: {}", boot_class.error().message);
    Ref boot_object = new_instance(*boot_class);
    if (!defines_method(boot_object, 8))
      return make_error(Errc::invalid_argument, "boot class {} has no method 8 to run", boot_name);
    wh->state = static_cast<std::uint32_t>(WorldState::booting);
    Ref t = start_thread(boot_object, 8, bootstrap, boot_name);
    if (t == raw_null) return make_error(Errc::invalid_argument, "boot class {} has no method 8 to run", boot_name);
    thread_data(t)->thread_flags |= thread_boot;
    wh->boots = 1;
  } catch (const OutOfMemory&) {
    return make_error(Errc::no_space, "the arena is too small to boot a world");
  }
  return ok_status();
}

Status Vm::check_header() {
  if (!heap_.is_formatted()) return make_error(Errc::corrupt, "the arena holds no Phantom world header");
  if (heap_.stored_layout_version() != world_layout_version)
    return make_error(Errc::unsupported, "the world's object layout is version {}, this build knows version {}",
                      heap_.stored_layout_version(), world_layout_version);
  WorldHeader* wh = heap_.header();
  if (wh->heap_begin != heap_begin_offset || wh->heap_top < wh->heap_begin || wh->heap_top > wh->heap_end ||
      (wh->heap_top & 7) != 0)
    return make_error(Errc::corrupt, "the world header's heap bounds are damaged");
  if (!heap_.plausible(wh->root) || heap_.hdr(wh->root)->size < root_slots * sizeof(Ref))
    return make_error(Errc::corrupt, "the world's root object is damaged");
  for (int id = 0; id < cid_count; ++id) {
    Ref r = heap_.as<Ref>(wh->root)[internal_class_info(id).root_slot];
    if (!heap_.plausible(r) || kind_of(heap_.hdr(r)) != Kind::klass)
      return make_error(Errc::corrupt, "root slot {} does not hold the class {}", internal_class_info(id).root_slot,
                        internal_class_info(id).name);
  }
  return ok_status();
}

Status Vm::attach() {
  PHANTOM_TRY(check_header());
  WorldHeader* wh = heap_.header();
  if (wh->state == static_cast<std::uint32_t>(WorldState::empty))
    return make_error(Errc::invalid_argument, "the world was never booted");
  // Worlds made before tagged ints could grow to 32 GiB; refs from 16 GiB up are tagged ints now.
  if (wh->heap_top > max_heap_bytes)
    return make_error(Errc::unsupported, "the world's heap reaches {} bytes; this build addresses {} bytes",
                      wh->heap_top, max_heap_bytes);
  wh->heap_end = std::min(wh->heap_end, max_heap_bytes);
  rebuild_caches();
  // Worlds made on 2026-11-24 shared boxed small ints through this slot; tagged ints replaced them.
  if (!is_null(root_slot(root_small_ints))) set_root_slot(root_small_ints, null_object_);
  gc_threshold_ = std::max({options_.gc_min_bytes, wh->live_bytes, heap_.heap_used() / 4});
  gc_alloc_limit_ = gc_threshold_;
  class_path_.clear();
  Ref cp = root_slot(root_class_path);
  for (std::uint32_t i = 0; i < array_size(cp); ++i) class_path_.push_back(std::string(string_of(array_get(cp, i))));
  if (!options_.class_path.empty()) class_path_ = options_.class_path;  // a later run may point elsewhere
  ++wh->boots;
  // Every thread continues: runnable ones are queued, sleepers keep their wall-clock wake-up time,
  // a thread waiting for console input or in a blocking connection call re-issues its call (its IP is
  // still at the `sys`; the connection was re-made by connections/ before run()).
  Ref list = root_slot(root_thread_list);
  for (std::uint32_t i = 0; i < array_size(list); ++i) {
    Ref t = array_get(list, i);
    if (is_null(t)) continue;
    ThreadData* td = thread_data(t);
    if (td->state == ThreadState::runnable || td->state == ThreadState::wait_input ||
        td->state == ThreadState::wait_connection ||
        (td->state == ThreadState::held && wh->state != static_cast<std::uint32_t>(WorldState::booting)))
      make_runnable(t);
    else if (td->state == ThreadState::sleeping || td->wake_ns != 0)
      wake_at(t, td->wake_ns);
  }
  return ok_status();
}

std::optional<std::string> Vm::environment_value(std::string_view name) const {
  Ref env = root_slot(root_kernel_environment);
  for (std::uint32_t i = 0; i < array_size(env); ++i) {
    Ref entry = array_get(env, i);
    if (!is_a(entry, cid_string)) continue;
    std::string_view text = string_of(entry);
    if (text.size() > name.size() && text.starts_with(name) && text[name.size()] == '=')
      return std::string(text.substr(name.size() + 1));
  }
  return std::nullopt;
}

void Vm::rebuild_caches() {
  Ref root = heap_.header()->root;
  for (int id = 0; id < cid_count; ++id) internal_[id] = heap_.as<Ref>(root)[internal_class_info(id).root_slot];
  null_object_ = heap_.as<Ref>(root)[root_null_object];
  sys_codes_ = heap_.as<Ref>(root)[root_sys_interface];
  out_of_memory_error_ = heap_.as<Ref>(root)[root_out_of_memory];
  set_tagged_int_header();
  class_by_name_.clear();
  summon_cache_.clear();
  quick_.clear();
  for (int id = 0; id < cid_count; ++id) class_by_name_[std::string(internal_class_info(id).name)] = internal_[id];
  Ref cache = root_slot(root_class_cache);
  if (is_null(cache)) return;
  auto* d = heap_.as<DirectoryData>(cache);
  const Ref* t = page_refs(d->table);
  for (std::uint32_t i = 0; i < page_slots(d->table) / 2; ++i)
    if (t[2 * i] != raw_null && t[2 * i] != null_object_) class_by_name_[std::string(string_of(t[2 * i]))] = t[2 * i + 1];
}

void Vm::set_tagged_int_header() {
  tagged_int_header_ = ObjectHeader{internal_[cid_int], flag_internal | flag_int | flag_childfree | flag_immutable,
                                    4, units_for(4)};  // the kind in the top byte is Kind::bytes (0)
}

}  // namespace phantom::vm
