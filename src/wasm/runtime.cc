// Runtime: stores, modules, instances and calls in the arena, and their host caches. See runtime.h and
// runtime_internal.h; the interpreter is interpreter.cc.
#include "wasm/runtime.h"

#include <random>

#include "wasm/decoder.h"
#include "wasm/runtime_internal.h"

namespace phantom::wasm {
namespace {

std::uint64_t new_uid() {
  static std::mt19937_64 generator{std::random_device{}()};
  std::uint64_t v = 0;
  while (v == 0) v = generator();
  return v;
}
std::uint64_t uid_of(vm::Vm& vm, Ref blob) {
  std::uint64_t v;
  std::memcpy(&v, blob_data(vm, blob), 8);
  return v;
}
Ref new_uid_blob(vm::Vm& vm) {
  Ref b = new_blob(vm, 8);
  std::uint64_t v = new_uid();
  std::memcpy(blob_data(vm, b), &v, 8);
  return b;
}

std::string signature_key(const FuncType& type) {
  std::string key;
  for (ValueType t : type.params) key += static_cast<char>(t);
  key += ':';
  for (ValueType t : type.results) key += static_cast<char>(t);
  return key;
}

std::uint32_t type_id(Engine::Caches& caches, const FuncType& type) {
  auto [it, inserted] = caches.type_ids.emplace(signature_key(type), static_cast<std::uint32_t>(caches.type_ids.size()));
  return it->second;
}

bool limits_match(const Limits& actual, const Limits& wanted) {
  if (actual.min < wanted.min) return false;
  if (wanted.max) {
    if (!actual.max || *actual.max > *wanted.max) return false;
  }
  return true;
}

Cell value_of(const ConstInstr& instr) {
  switch (instr.op) {
    case ConstInstr::Op::i32_const: return static_cast<std::uint32_t>(instr.integer);
    case ConstInstr::Op::i64_const: return static_cast<std::uint64_t>(instr.integer);
    case ConstInstr::Op::f32_const:
    case ConstInstr::Op::f64_const: return instr.float_bits;
    default: return 0;
  }
}

}  // namespace

std::string ModuleCache::function_name(std::uint32_t index) const {
  for (const FunctionName& n : module.function_names)
    if (n.function == index) return n.name;
  for (const Export& e : module.exports)
    if (e.kind == ExternalKind::function && e.index == index) return e.name;
  return fmt::format("#{}", index);
}

Engine::Engine(vm::Vm& vm, EngineLimits limits) : vm_(vm), limits_(limits), caches_(std::make_unique<Caches>()) {
  caches_->handlers = interpreter_handlers(*this);
}
Engine::~Engine() = default;

void Engine::add_host_module(HostModule module) {
  std::string name = module.name;
  caches_->host_modules[name] = std::move(module);
}

Ref Engine::new_store() {
  Ref store = vm_.new_page(store_slots, vm::raw_null);
  set_slot(vm_, store, store_modules, vm_.new_array());
  set_slot(vm_, store, store_instances, vm_.new_array());
  set_slot(vm_, store, store_functions, new_blob(vm_, 16 * sizeof(FunctionEntry)));
  set_slot(vm_, store, store_function_count, vm_.new_int(0));
  set_slot(vm_, store, store_host_names, vm_.new_array());
  set_slot(vm_, store, store_registered, vm_.new_directory());
  set_slot(vm_, store, store_host_state, vm_.new_directory());
  set_slot(vm_, store, store_uid, new_uid_blob(vm_));
  return store;
}

// ---- modules ----

static Result<std::unique_ptr<ModuleCache>> build_module_cache(Engine::Caches& caches, std::span<const std::uint8_t> bytes) {
  auto cache = std::make_unique<ModuleCache>();
  cache->bytes.assign(bytes.begin(), bytes.end());
  PHANTOM_ASSIGN(cache->module, decode_module(cache->bytes));
  PHANTOM_ASSIGN(CompiledModule compiled, compile_module(cache->module, cache->bytes));
  cache->info = std::move(compiled.info);
  cache->functions = std::move(compiled.functions);
  for (CompiledFunction& f : cache->functions) finalize(f, caches.handlers);
  for (const FuncType& t : cache->module.types) cache->type_ids.push_back(type_id(caches, t));
  return cache;
}

Result<Ref> Engine::load_module(Ref store, std::span<const std::uint8_t> bytes) {
  PHANTOM_ASSIGN(std::unique_ptr<ModuleCache> cache, build_module_cache(*caches_, bytes));
  Ref module = vm_.new_page(module_slots, vm::raw_null);
  Ref blob = new_blob(vm_, static_cast<std::uint32_t>(bytes.size()), false);
  std::memcpy(blob_data(vm_, blob), bytes.data(), bytes.size());
  set_slot(vm_, module, module_bytes, blob);
  Ref uid = new_uid_blob(vm_);
  set_slot(vm_, module, module_uid, uid);
  vm_.array_push(slot(vm_, store, store_modules), module);
  cache->uid = uid_of(vm_, uid);
  caches_->modules[cache->uid] = std::move(cache);
  return module;
}

static ModuleCache& module_cache(Engine& engine, Engine::Caches& caches, Ref module) {
  vm::Vm& vm = engine.machine();
  std::uint64_t uid = uid_of(vm, slot(vm, module, module_uid));
  auto it = caches.modules.find(uid);
  if (it != caches.modules.end()) return *it->second;
  // After a restart: the bytes were valid when loaded, and validation is deterministic.
  Ref blob = slot(vm, module, module_bytes);
  std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(blob_data(vm, blob)), blob_size(vm, blob));
  auto built = build_module_cache(caches, bytes);
  if (!built.ok()) {
    // Only a build whose validator is stricter than the one that loaded the module gets here.
    std::fprintf(stderr, "phantom: a stored WebAssembly module no longer validates: %s\n", built.error().message.c_str());
    std::abort();
  }
  auto cache = std::move(built).value();
  cache->uid = uid;
  ModuleCache& ref = *cache;
  caches.modules[uid] = std::move(cache);
  return ref;
}

const Module& Engine::decoded(Ref module) { return module_cache(*this, *caches_, module).module; }
Ref Engine::module_of(Ref instance) const { return slot(vm_, instance, instance_module); }

// ---- caches of stores and instances ----

StoreCache& store_cache(Engine& engine, Ref store) {
  vm::Vm& vm = engine.machine();
  std::uint64_t uid = uid_of(vm, slot(vm, store, store_uid));
  auto& caches = *engine.caches();
  auto it = caches.stores.find(uid);
  if (it != caches.stores.end()) return *it->second;
  auto cache = std::make_unique<StoreCache>();
  cache->store = store;
  StoreCache& ref = *cache;
  caches.stores[uid] = std::move(cache);
  return ref;
}

InstanceCache& instance_cache(Engine& engine, StoreCache& store, std::uint32_t number) {
  auto it = store.instances.find(number);
  if (it != store.instances.end()) return *it->second;
  vm::Vm& vm = engine.machine();
  Ref instance = vm.array_get(slot(vm, store.store, store_instances), number);
  auto cache = std::make_unique<InstanceCache>();
  InstanceCache& c = *cache;
  store.instances[number] = std::move(cache);
  c.instance = instance;
  c.number = number;
  c.store = &store;
  c.module = &module_cache(engine, *engine.caches(), slot(vm, instance, instance_module));
  c.memory = slot(vm, instance, instance_memory);
  c.dropped = slot(vm, instance, instance_dropped);
  Ref tables = slot(vm, instance, instance_tables);
  for (std::uint32_t i = 0; i < vm.page_slots(tables); ++i) c.tables.push_back(vm.page_refs(tables)[i]);
  Ref globals = slot(vm, instance, instance_globals);
  for (std::uint32_t i = 0; i < vm.page_slots(globals); ++i)
    c.globals.push_back(reinterpret_cast<Cell*>(blob_data(vm, vm.page_refs(globals)[i])));
  Ref functions = slot(vm, instance, instance_functions);
  auto* numbers = reinterpret_cast<const std::uint32_t*>(blob_data(vm, functions));
  std::uint32_t count = blob_size(vm, functions) / 4;
  c.functions.resize(count, nullptr);
  for (std::uint32_t i = 0; i < count; ++i) c.functions[i] = &function_ref(engine, store, numbers[i]);
  return c;
}

FunctionRef& function_ref(Engine& engine, StoreCache& store, std::uint32_t number) {
  if (number < store.functions.size() && store.functions[number]) return *store.functions[number];
  if (number >= store.functions.size()) store.functions.resize(number + 1);
  vm::Vm& vm = engine.machine();
  auto& caches = *engine.caches();
  FunctionEntry entry;
  std::memcpy(&entry, blob_data(vm, slot(vm, store.store, store_functions)) + number * sizeof(FunctionEntry), sizeof entry);
  auto ref = std::make_unique<FunctionRef>();
  ref->number = number;
  FunctionRef& r = *ref;
  store.functions[number] = std::move(ref);
  if (entry.instance == host_function) {
    std::string key(vm.string_of(vm.array_get(slot(vm, store.store, store_host_names), entry.index)));
    auto nl = key.find('\n');
    std::string module = key.substr(0, nl), name = key.substr(nl + 1);
    r.name = module + "." + name;
    auto hm = caches.host_modules.find(module);
    if (hm != caches.host_modules.end())
      for (const HostFunction& f : hm->second.functions)
        if (f.name == name) {
          r.host = &f;
          r.host_context = hm->second.context;
          r.type = &f.type;
          r.type_id = type_id(caches, f.type);
        }
    if (!r.host) {
      // A world saved by a build that offered this host function, run by one that does not: calling
      // it traps with this name (rule 6: an error that names what is missing, never a crash).
      static const FuncType no_type;
      r.type = &no_type;
      r.type_id = 0xffffffffu;
    }
    return r;
  }
  InstanceCache& owner = instance_cache(engine, store, entry.instance);
  const ModuleCache& m = *owner.module;
  if (entry.index < m.info.imported_functions) {
    // An instance's imported function is the exporter's own entry; this entry is never made.
    return *owner.functions[entry.index];
  }
  r.instance = &owner;
  r.code = &m.functions[entry.index - m.info.imported_functions];
  r.type = &m.module.types[m.info.function_types[entry.index]];
  r.type_id = m.type_ids[m.info.function_types[entry.index]];
  r.name = m.function_name(entry.index);
  return r;
}

Engine::Caches* Engine::caches() { return caches_.get(); }

// ---- instantiation ----

namespace {

struct Resolved {
  std::vector<std::uint32_t> functions;  // store function numbers (imports)
  std::vector<std::string> host_functions;  // "module\nname" to add to the store (numbers assigned later)
  std::vector<std::int64_t> host_slot;     // per imported function: index in host_functions, or -1
  std::vector<Ref> tables, globals;
  Ref memory = vm::raw_null;
};

std::uint32_t function_count(vm::Vm& vm, Ref store) { return static_cast<std::uint32_t>(int_slot(vm, store, store_function_count)); }

// Appends entries to the store's function table, growing its blob; returns the first new number.
std::uint32_t add_functions(vm::Vm& vm, Ref store, const std::vector<FunctionEntry>& entries) {
  std::uint32_t count = function_count(vm, store);
  Ref blob = slot(vm, store, store_functions);
  std::uint32_t capacity = blob_size(vm, blob) / sizeof(FunctionEntry);
  if (count + entries.size() > capacity) {
    std::uint32_t bigger = std::max<std::uint32_t>(capacity * 2, count + static_cast<std::uint32_t>(entries.size()));
    Ref grown = new_blob(vm, bigger * sizeof(FunctionEntry));
    blob = slot(vm, store, store_functions);
    std::memcpy(blob_data(vm, grown), blob_data(vm, blob), count * sizeof(FunctionEntry));
    set_slot(vm, store, store_functions, grown);
    blob = grown;
  }
  std::memcpy(blob_data(vm, blob) + count * sizeof(FunctionEntry), entries.data(), entries.size() * sizeof(FunctionEntry));
  set_slot(vm, store, store_function_count, vm.new_int(static_cast<std::int32_t>(count + entries.size())));
  return count;
}

}  // namespace

Ref Engine::registered_instance(Ref store, std::string_view name) {
  return vm_.dir_get(slot(vm_, store, store_registered), name);
}

void Engine::register_instance(Ref store, std::string_view name, Ref instance) {
  Ref key = vm_.new_string(name);
  vm_.dir_put(slot(vm_, store, store_registered), key, instance, true);
}

std::optional<ExportTarget> Engine::find_export(Ref instance, std::string_view name) {
  const ModuleCache& m = module_cache(*this, *caches_, module_of(instance));
  for (const Export& e : m.module.exports)
    if (e.name == name) return ExportTarget{e.kind, e.index};
  return std::nullopt;
}

const FuncType* Engine::function_type(Ref instance, std::uint32_t index) {
  const ModuleCache& m = module_cache(*this, *caches_, module_of(instance));
  if (index >= m.info.function_types.size()) return nullptr;
  return &m.module.types[m.info.function_types[index]];
}

Result<Value> Engine::global_value(Ref instance, std::uint32_t index) {
  Ref globals = slot(vm_, instance, instance_globals);
  if (index >= vm_.page_slots(globals)) return make_error(Errc::not_found, "unknown global {}", index);
  GlobalCell g;
  std::memcpy(&g, blob_data(vm_, vm_.page_refs(globals)[index]), sizeof g);
  return Value{static_cast<ValueType>(g.type), g.value};
}

std::span<std::uint8_t> Engine::memory(Ref instance) {
  Ref memory = slot(vm_, instance, instance_memory);
  if (memory == vm::raw_null) return {};
  Ref data = slot(vm_, memory, memory_data);
  return {reinterpret_cast<std::uint8_t*>(blob_data(vm_, data)), blob_size(vm_, data)};
}

Result<Ref> Engine::instantiate(Ref store, Ref module) {
  ModuleCache& m = module_cache(*this, *caches_, module);
  const Module& mod = m.module;
  StoreCache& sc = store_cache(*this, store);
  Resolved r;
  // 1. Imports.
  for (const Import& import : mod.imports) {
    std::string name = fmt::format("{}.{}", import.module, import.name);
    Ref exporter = registered_instance(store, import.module);
    if (exporter != vm::raw_null) {
      auto e = find_export(exporter, import.name);
      if (!e) return make_error(Errc::not_found, "unknown import {}", name);
      if (e->kind != import.kind)
        return make_error(Errc::invalid_argument, "incompatible import type for {}: a {} is exported, a {} is imported", name,
                          external_kind_name(e->kind), external_kind_name(import.kind));
      InstanceCache& ec = instance_cache(*this, sc, static_cast<std::uint32_t>(int_slot(vm_, exporter, instance_number)));
      const ModuleCache& em = *ec.module;
      switch (import.kind) {
        case ExternalKind::function: {
          FunctionRef* f = ec.functions[e->index];
          if (f->type_id != m.type_ids[import.function_type])
            return make_error(Errc::invalid_argument, "incompatible import type for {}: function signatures differ", name);
          r.functions.push_back(f->number);
          r.host_slot.push_back(-1);
          break;
        }
        case ExternalKind::table: {
          Ref t = ec.tables[e->index];
          Limits actual{blob_size(vm_, slot(vm_, t, table_cells)) / 8u, std::nullopt};
          std::int32_t max = int_slot(vm_, t, table_max);
          if (max >= 0) actual.max = static_cast<std::uint32_t>(max);
          if (static_cast<ValueType>(int_slot(vm_, t, table_type)) != import.table.element || !limits_match(actual, import.table.limits))
            return make_error(Errc::invalid_argument, "incompatible import type for {}: table types differ", name);
          r.tables.push_back(t);
          break;
        }
        case ExternalKind::memory: {
          Ref mem = ec.memory;
          Limits actual{blob_size(vm_, slot(vm_, mem, memory_data)) / 65536u, std::nullopt};
          std::int32_t max = int_slot(vm_, mem, memory_max);
          if (max >= 0) actual.max = static_cast<std::uint32_t>(max);
          if (!limits_match(actual, import.memory.limits))
            return make_error(Errc::invalid_argument, "incompatible import type for {}: memory limits differ", name);
          r.memory = mem;
          break;
        }
        case ExternalKind::global: {
          Ref g = vm_.page_refs(slot(vm_, exporter, instance_globals))[e->index];
          const GlobalType& gt = em.info.globals[e->index];
          if (gt.type != import.global.type || gt.is_mutable != import.global.is_mutable)
            return make_error(Errc::invalid_argument, "incompatible import type for {}: global types differ", name);
          r.globals.push_back(g);
          break;
        }
      }
      continue;
    }
    auto hm = caches_->host_modules.find(import.module);
    const HostFunction* hf = nullptr;
    if (hm != caches_->host_modules.end())
      for (const HostFunction& f : hm->second.functions)
        if (f.name == import.name) hf = &f;
    if (!hf) return make_error(Errc::not_found, "unknown import {}", name);
    if (import.kind != ExternalKind::function)
      return make_error(Errc::invalid_argument, "incompatible import type for {}: the host provides a function", name);
    if (type_id(*caches_, hf->type) != m.type_ids[import.function_type])
      return make_error(Errc::invalid_argument, "incompatible import type for {}: function signatures differ", name);
    r.functions.push_back(0);
    r.host_slot.push_back(static_cast<std::int64_t>(r.host_functions.size()));
    r.host_functions.push_back(import.module + "\n" + import.name);
  }

  // 2. The instance's own objects.
  Ref instance = vm_.new_page(instance_slots, vm::raw_null);
  set_slot(vm_, instance, instance_module, module);
  set_slot(vm_, instance, instance_store, store);
  const std::uint32_t nfunctions = static_cast<std::uint32_t>(m.info.function_types.size());
  set_slot(vm_, instance, instance_functions, new_blob(vm_, nfunctions * 4));
  Ref tables = vm_.new_page(static_cast<std::uint32_t>(m.info.tables.size()), vm::raw_null);
  set_slot(vm_, instance, instance_tables, tables);
  for (std::size_t i = 0; i < r.tables.size(); ++i) vm_.set_page_ref(tables, i, r.tables[i]);
  for (std::size_t i = r.tables.size(); i < m.info.tables.size(); ++i) {
    const TableType& tt = m.info.tables[i];
    if (tt.limits.min > limits_.table_elements)
      return make_error(Errc::unsupported, "table {} of {} elements is over this engine's limit of {}", i, tt.limits.min, limits_.table_elements);
    Ref t = vm_.new_page(table_slots, vm::raw_null);
    vm_.set_page_ref(slot(vm_, instance, instance_tables), i, t);
    set_slot(vm_, t, table_max, vm_.new_int(tt.limits.max ? static_cast<std::int32_t>(std::min<std::uint32_t>(*tt.limits.max, 0x3fffffff)) : -1));
    set_slot(vm_, t, table_type, vm_.new_int(static_cast<std::int32_t>(tt.element)));
    set_slot(vm_, t, table_cells, new_blob(vm_, tt.limits.min * 8));
  }
  if (r.memory != vm::raw_null) {
    set_slot(vm_, instance, instance_memory, r.memory);
  } else if (!m.info.memories.empty()) {
    const MemoryType& mt = m.info.memories[0];
    if (mt.limits.min > limits_.memory_pages)
      return make_error(Errc::unsupported, "memory of {} pages is over this engine's limit of {} pages", mt.limits.min, limits_.memory_pages);
    Ref mem = vm_.new_page(memory_slots, vm::raw_null);
    set_slot(vm_, instance, instance_memory, mem);
    set_slot(vm_, mem, memory_max, vm_.new_int(mt.limits.max ? static_cast<std::int32_t>(*mt.limits.max) : -1));
    set_slot(vm_, mem, memory_data, new_blob(vm_, mt.limits.min * 65536u));
  }
  Ref globals = vm_.new_page(static_cast<std::uint32_t>(m.info.globals.size()), vm::raw_null);
  set_slot(vm_, instance, instance_globals, globals);
  for (std::size_t i = 0; i < r.globals.size(); ++i) vm_.set_page_ref(globals, i, r.globals[i]);
  for (std::size_t i = r.globals.size(); i < m.info.globals.size(); ++i) {
    Ref g = new_blob(vm_, sizeof(GlobalCell));
    vm_.set_page_ref(slot(vm_, instance, instance_globals), i, g);
  }
  set_slot(vm_, instance, instance_dropped, new_blob(vm_, static_cast<std::uint32_t>(mod.elements.size() + mod.data.size())));

  // 3. Commit: the function table and the instance list (allocations first, then the writes).
  Ref instances = slot(vm_, store, store_instances);
  const auto number = static_cast<std::uint32_t>(vm_.array_size(instances));
  std::vector<std::uint32_t> host_numbers;
  for (const std::string& key : r.host_functions) {
    // One host name entry per distinct host function in the store.
    Ref names = slot(vm_, store, store_host_names);
    std::int64_t found = -1;
    for (std::uint32_t i = 0; i < vm_.array_size(names) && found < 0; ++i)
      if (vm_.string_of(vm_.array_get(names, i)) == key) found = i;
    std::uint32_t name_index;
    if (found >= 0) {
      name_index = static_cast<std::uint32_t>(found);
    } else {
      Ref s = vm_.new_string(key);
      name_index = vm_.array_size(names);
      vm_.array_push(slot(vm_, store, store_host_names), s);
    }
    // The function table has one entry per host name: find it or add it.
    std::uint32_t count = function_count(vm_, store);
    std::int64_t existing = -1;
    auto* entries = reinterpret_cast<const FunctionEntry*>(blob_data(vm_, slot(vm_, store, store_functions)));
    for (std::uint32_t i = 0; i < count && existing < 0; ++i)
      if (entries[i].instance == host_function && entries[i].index == name_index) existing = i;
    host_numbers.push_back(existing >= 0 ? static_cast<std::uint32_t>(existing)
                                         : add_functions(vm_, store, {FunctionEntry{host_function, name_index}}));
  }
  std::vector<FunctionEntry> own;
  for (std::uint32_t i = m.info.imported_functions; i < nfunctions; ++i) own.push_back({number, i});
  std::uint32_t first_own = own.empty() ? 0 : add_functions(vm_, store, own);
  auto* numbers = reinterpret_cast<std::uint32_t*>(blob_data(vm_, slot(vm_, instance, instance_functions)));
  for (std::uint32_t i = 0; i < m.info.imported_functions; ++i)
    numbers[i] = r.host_slot[i] >= 0 ? host_numbers[static_cast<std::size_t>(r.host_slot[i])] : r.functions[i];
  for (std::uint32_t i = m.info.imported_functions; i < nfunctions; ++i) numbers[i] = first_own + (i - m.info.imported_functions);
  set_slot(vm_, instance, instance_number, vm_.new_int(static_cast<std::int32_t>(number)));
  vm_.array_push(slot(vm_, store, store_instances), instance);

  // 4. Globals, then segments, in the spec's order; a trap here fails the instantiation, and what was
  //    written stays written.
  InstanceCache& ic = instance_cache(*this, sc, number);
  auto eval = [&](const ConstExpr& e) -> Cell {
    const ConstInstr& in = e.instrs[0];
    if (in.op == ConstInstr::Op::global_get) return *ic.globals[in.index];
    if (in.op == ConstInstr::Op::ref_func) return Cell(ic.functions[in.index]->number) + 1;
    if (in.op == ConstInstr::Op::ref_null) return 0;
    return value_of(in);
  };
  for (std::size_t i = r.globals.size(); i < m.info.globals.size(); ++i) {
    GlobalCell g{};
    g.value = eval(mod.globals[i - r.globals.size()].init);
    g.type = static_cast<std::uint8_t>(m.info.globals[i].type);
    g.is_mutable = m.info.globals[i].is_mutable;
    std::memcpy(ic.globals[i], &g, sizeof g);
  }
  auto* dropped = reinterpret_cast<std::uint8_t*>(blob_data(vm_, ic.dropped));
  for (std::size_t i = 0; i < mod.elements.size(); ++i) {
    const ElementSegment& seg = mod.elements[i];
    if (seg.mode == SegmentMode::passive) continue;
    if (seg.mode == SegmentMode::active) {
      auto offset = static_cast<std::uint32_t>(eval(seg.offset));
      std::vector<Cell> values = element_values(*this, ic, static_cast<std::uint32_t>(i));
      Ref t = ic.tables[seg.table];
      Ref cells = slot(vm_, t, table_cells);
      std::uint64_t size = blob_size(vm_, cells) / 8;
      if (std::uint64_t(offset) + values.size() > size)
        return make_error(Errc::invalid_argument, "out of bounds table access: element segment {} at {} + {} in a table of {}", i,
                          offset, values.size(), size);
      std::memcpy(blob_data(vm_, cells) + std::uint64_t(offset) * 8, values.data(), values.size() * 8);
    }
    dropped[i] = 1;
  }
  for (std::size_t i = 0; i < mod.data.size(); ++i) {
    const DataSegment& seg = mod.data[i];
    if (seg.mode != SegmentMode::active) continue;
    auto offset = static_cast<std::uint32_t>(eval(seg.offset));
    std::span<std::uint8_t> mem = memory(instance);
    if (std::uint64_t(offset) + seg.bytes.size > mem.size())
      return make_error(Errc::invalid_argument, "out of bounds memory access: data segment {} at {} + {} in a memory of {} bytes", i,
                        offset, seg.bytes.size, mem.size());
    std::memcpy(mem.data() + offset, m.bytes.data() + seg.bytes.offset, seg.bytes.size);
    dropped[mod.elements.size() + i] = 1;
  }
  return instance;
}

std::vector<Cell> element_values(Engine& engine, InstanceCache& instance, std::uint32_t index) {
  const ElementSegment& seg = instance.module->module.elements[index];
  std::vector<Cell> values;
  values.reserve(seg.size());
  if (!seg.uses_expressions) {
    for (std::uint32_t f : seg.function_indices) values.push_back(Cell(instance.functions[f]->number) + 1);
    return values;
  }
  (void)engine;
  for (const ConstExpr& e : seg.expressions) {
    const ConstInstr& in = e.instrs[0];
    if (in.op == ConstInstr::Op::ref_func) values.push_back(Cell(instance.functions[in.index]->number) + 1);
    else if (in.op == ConstInstr::Op::global_get) values.push_back(*instance.globals[in.index]);
    else values.push_back(0);
  }
  return values;
}

std::int32_t grow_memory(Engine& engine, Ref memory, std::uint32_t delta) {
  vm::Vm& vm = engine.machine();
  Ref data = slot(vm, memory, memory_data);
  std::uint32_t pages = blob_size(vm, data) / 65536u;
  if (delta == 0) return static_cast<std::int32_t>(pages);
  std::uint64_t wanted = std::uint64_t(pages) + delta;
  std::int32_t max = int_slot(vm, memory, memory_max);
  if (wanted > engine.limits().memory_pages || (max >= 0 && wanted > static_cast<std::uint64_t>(max))) return -1;
  // A new blob and a copy: the old one is garbage for the next collection. Its untouched tail is
  // never written (allocated zeroed only where the heap had used memory before).
  Ref grown = new_blob(vm, static_cast<std::uint32_t>(wanted * 65536u));
  data = slot(vm, memory, memory_data);
  std::memcpy(blob_data(vm, grown), blob_data(vm, data), std::size_t(pages) * 65536u);
  set_slot(vm, memory, memory_data, grown);
  return static_cast<std::int32_t>(pages);
}

std::int32_t grow_table(Engine& engine, Ref table, std::uint32_t delta, Cell init) {
  vm::Vm& vm = engine.machine();
  Ref cells = slot(vm, table, table_cells);
  std::uint32_t size = blob_size(vm, cells) / 8;
  std::uint64_t wanted = std::uint64_t(size) + delta;
  std::int32_t max = int_slot(vm, table, table_max);
  if (wanted > engine.limits().table_elements || (max >= 0 && wanted > static_cast<std::uint64_t>(max))) return -1;
  if (delta == 0) return static_cast<std::int32_t>(size);
  Ref grown = new_blob(vm, static_cast<std::uint32_t>(wanted * 8));
  cells = slot(vm, table, table_cells);
  std::memcpy(blob_data(vm, grown), blob_data(vm, cells), std::size_t(size) * 8);
  auto* out = reinterpret_cast<Cell*>(blob_data(vm, grown));
  for (std::uint64_t i = size; i < wanted; ++i) out[i] = init;
  set_slot(vm, table, table_cells, grown);
  return static_cast<std::int32_t>(size);
}

// ---- calls ----

Result<Ref> Engine::begin_call(Ref instance, std::uint32_t index, std::span<const Value> args) {
  Ref store = slot(vm_, instance, instance_store);
  StoreCache& sc = store_cache(*this, store);
  InstanceCache& ic = instance_cache(*this, sc, static_cast<std::uint32_t>(int_slot(vm_, instance, instance_number)));
  if (index >= ic.functions.size()) return make_error(Errc::not_found, "unknown function {}", index);
  FunctionRef& f = *ic.functions[index];
  if (args.size() != f.type->params.size())
    return make_error(Errc::invalid_argument, "function {} takes {} argument(s), not {}", f.name, f.type->params.size(), args.size());
  for (std::size_t i = 0; i < args.size(); ++i)
    if (args[i].type != f.type->params[i])
      return make_error(Errc::invalid_argument, "argument {} of {}: expected {}, got {}", i + 1, f.name,
                        value_type_name(f.type->params[i]), value_type_name(args[i].type));
  Ref call = vm_.new_page(call_slots, vm::raw_null);
  set_slot(vm_, call, call_store_ref, store);
  std::uint32_t cells = std::max<std::uint32_t>(limits_.stack_cells, static_cast<std::uint32_t>(args.size() + f.type->results.size()));
  // The stack of a call that ended, when it is big enough, else new ones (not zeroed: every cell is
  // written before it is read, and untouched pages stay out of snapshots).
  Ref spare_stack = slot(vm_, store, store_spare_stack), spare_frames = slot(vm_, store, store_spare_frames);
  if (spare_stack != vm::raw_null && blob_size(vm_, spare_stack) >= cells * 8 && spare_frames != vm::raw_null &&
      blob_size(vm_, spare_frames) >= limits_.frames * sizeof(SavedFrame)) {
    set_slot(vm_, call, call_stack, spare_stack);
    set_slot(vm_, call, call_frames, spare_frames);
    set_slot(vm_, store, store_spare_stack, vm::raw_null);
    set_slot(vm_, store, store_spare_frames, vm::raw_null);
  } else {
    set_slot(vm_, call, call_stack, new_blob(vm_, cells * 8, false));
    set_slot(vm_, call, call_frames, new_blob(vm_, limits_.frames * sizeof(SavedFrame), false));
  }
  set_slot(vm_, call, call_depth, vm_.new_int(1));
  set_slot(vm_, call, call_status, vm_.new_int(status_running));
  set_slot(vm_, call, call_function, vm_.new_int(static_cast<std::int32_t>(f.number)));
  set_slot(vm_, call, call_exit_code, vm_.new_int(0));
  set_slot(vm_, call, call_results, new_blob(vm_, static_cast<std::uint32_t>(std::max<std::size_t>(f.type->results.size(), 1) * sizeof(Cell))));
  auto* stack = reinterpret_cast<Cell*>(blob_data(vm_, slot(vm_, call, call_stack)));
  for (std::size_t i = 0; i < args.size(); ++i) stack[i] = args[i].bits;
  SavedFrame top{f.number, not_started, 0, static_cast<std::uint32_t>(args.size())};
  std::memcpy(blob_data(vm_, slot(vm_, call, call_frames)), &top, sizeof top);
  return call;
}

Result<Ref> Engine::begin_start(Ref instance) {
  const ModuleCache& m = module_cache(*this, *caches_, module_of(instance));
  if (!m.module.start) return vm::raw_null;
  return begin_call(instance, *m.module.start, {});
}

CallOutcome Engine::run(Ref call, std::uint64_t fuel) { return interpret(*this, *caches_, call, fuel); }
Ref Engine::call_store(Ref call) const { return slot(vm_, call, call_store_ref); }

Ref Engine::host_state(Ref store, std::string_view module) const {
  return vm_.dir_get(slot(vm_, store, store_host_state), module);
}
void Engine::set_host_state(Ref store, std::string_view module, Ref state) {
  Ref key = vm_.new_string(module);
  vm_.dir_put(slot(vm_, store, store_host_state), key, state, true);
}

std::vector<HostFunction> host_functions(std::span<const HostFunctionEntry> table) {
  auto types = [](const char* letters) {
    std::vector<ValueType> out;
    for (const char* c = letters; *c; ++c)
      out.push_back(*c == 'I' ? ValueType::i64 : *c == 'f' ? ValueType::f32 : *c == 'F' ? ValueType::f64 : ValueType::i32);
    return out;
  };
  std::vector<HostFunction> out;
  for (const HostFunctionEntry& e : table) out.push_back({e.name, {types(e.params), types(e.results)}, e.fn});
  return out;
}

}  // namespace phantom::wasm
