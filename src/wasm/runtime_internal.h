// Runtime internals shared by runtime.cc and interpreter.cc (wasm layer, private): the arena layouts
// of stores, instances, memories, tables, globals and calls, and the host caches over them.
#pragma once

#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "vm/vm.h"
#include "wasm/compiler.h"
#include "wasm/runtime.h"

namespace phantom::wasm {

// ---- arena layouts (docs/wasm.md "Persistent state"); every object is a page of refs or a binary ----
// A blob is a binary whose payload starts 8 bytes into its data (after the length and 4 bytes of
// padding), so that cells and memory are 8-byte aligned.
constexpr std::uint32_t blob_header = 8;

enum StoreSlot : std::uint32_t {
  store_modules = 0,    // array of module objects
  store_instances,      // array of instance objects, by instance number
  store_functions,      // blob of FunctionEntry, capacity grows by doubling
  store_function_count, // int
  store_host_names,     // array of strings "module\nname": host functions in the function table
  store_registered,     // directory: name -> instance (linking)
  store_host_state,     // directory: host module name -> its state
  store_uid,            // blob of 8 bytes: the key of the host caches
  store_spare_stack,    // the value stack and frames of the last call that ended, for the next one
  store_spare_frames,   //   (a call's stack is megabytes: reused, not made again for every call)
  store_slots
};
enum ModuleSlot : std::uint32_t { module_bytes = 0, module_uid, module_slots };  // bytes: blob
enum InstanceSlot : std::uint32_t {
  instance_module = 0,
  instance_functions,   // blob of u32: function index -> store function number
  instance_tables,      // page of table objects
  instance_memory,      // memory object or raw null
  instance_globals,     // page of global objects
  instance_dropped,     // blob of bytes: one per element segment, then one per data segment
  instance_number,      // int: index in store_instances
  instance_store,
  instance_slots
};
enum MemorySlot : std::uint32_t { memory_data = 0, memory_max, memory_slots };  // data: blob; max: int or -1
enum TableSlot : std::uint32_t { table_cells = 0, table_max, table_type, table_slots };  // cells: blob of Cell
// A global: blob of GlobalCell.
struct GlobalCell {
  Cell value;
  std::uint8_t type;
  std::uint8_t is_mutable;
  std::uint8_t reserved[6];
};
enum CallSlot : std::uint32_t {
  call_store_ref = 0,
  call_stack,     // blob of Cell, EngineLimits::stack_cells (allocated without zeroing: cells are written before read)
  call_frames,    // blob of SavedFrame, EngineLimits::frames
  call_depth,     // int: frames in use
  call_status,    // int: CallStatus
  call_message,   // string: the trap message, or raw null
  call_function,  // int: the store function number of the entry function
  call_exit_code, // int
  call_results,   // blob of Cell: the results of a finished call (its stack went back to the store)
  call_slots
};
enum CallStatus : std::int32_t { status_running = 0, status_finished, status_trapped, status_exited };

struct FunctionEntry {
  std::uint32_t instance;  // instance number, or host_function
  std::uint32_t index;     // in the instance's function index space, or in store_host_names
};
constexpr std::uint32_t host_function = 0xffffffffu;

// A frame as the arena keeps it between slices. `wasm_offset` is a resume point of the function
// (code.h); not_started means the function is about to be entered (the arguments are at fp).
struct SavedFrame {
  std::uint32_t function;     // store function number
  std::uint32_t wasm_offset;
  std::uint32_t fp;           // cell index of the frame's first local
  std::uint32_t height;       // operand cells above fp (the top frame's only)
};
constexpr std::uint32_t not_started = 0xffffffffu;

// ---- host caches ----
struct ModuleCache;
struct InstanceCache;

// A function of the store's function table, resolved for calling.
struct FunctionRef {
  std::uint32_t number = 0;                   // in the store's function table
  std::uint32_t type_id = 0;                  // canonical signature (Engine::Caches::type_ids)
  const FuncType* type = nullptr;
  InstanceCache* instance = nullptr;          // wasm functions
  const CompiledFunction* code = nullptr;     // wasm functions
  const HostFunction* host = nullptr;         // host functions
  void* host_context = nullptr;
  std::string name;                           // for traps and backtraces
};

struct ModuleCache {
  std::uint64_t uid = 0;
  std::vector<std::uint8_t> bytes;
  Module module;
  ModuleInfo info;
  std::vector<CompiledFunction> functions;    // finalized
  std::vector<std::uint32_t> type_ids;        // type index -> canonical signature
  std::string function_name(std::uint32_t index) const;
};

struct StoreCache;
struct InstanceCache {
  Ref instance = vm::raw_null;
  std::uint32_t number = 0;
  StoreCache* store = nullptr;
  ModuleCache* module = nullptr;
  std::vector<FunctionRef*> functions;        // function index space
  std::vector<Cell*> globals;                 // into the global blobs (they never move)
  std::vector<Ref> tables;
  Ref memory = vm::raw_null;
  Ref dropped = vm::raw_null;
};

struct StoreCache {
  Ref store = vm::raw_null;
  std::vector<std::unique_ptr<FunctionRef>> functions;                    // by function number, lazily
  std::unordered_map<std::uint32_t, std::unique_ptr<InstanceCache>> instances;  // by instance number
};

struct Engine::Caches {
  std::unordered_map<std::uint64_t, std::unique_ptr<ModuleCache>> modules;  // by module uid
  std::unordered_map<std::uint64_t, std::unique_ptr<StoreCache>> stores;    // by store uid
  std::unordered_map<std::string, std::uint32_t> type_ids;                   // signature -> id
  std::unordered_map<std::string, HostModule> host_modules;
  const void* const* handlers = nullptr;                                      // the interpreter's
};

// ---- helpers over the arena ----
inline std::byte* blob_data(vm::Vm& vm, Ref blob) { return vm.heap().data(blob) + blob_header; }
inline std::uint32_t blob_size(vm::Vm& vm, Ref blob) { return vm.heap().as<vm::BinaryData>(blob)->length - (blob_header - 4); }
inline Ref new_blob(vm::Vm& vm, std::uint32_t size, bool zero = true) {
  Ref b = vm.alloc(vm.internal_class(vm::cid_binary), 0, vm::Kind::bytes, blob_header + size, zero);
  vm.heap().as<vm::BinaryData>(b)->length = size + (blob_header - 4);
  return b;
}
inline Ref slot(vm::Vm& vm, Ref page, std::uint32_t i) { return vm.page_refs(page)[i]; }
inline void set_slot(vm::Vm& vm, Ref page, std::uint32_t i, Ref value) { vm.set_page_ref(page, i, value); }
inline std::int32_t int_slot(vm::Vm& vm, Ref page, std::uint32_t i) { return vm.int_of(slot(vm, page, i)); }

// The interpreter's entry point (interpreter.cc). interpreter_handlers() gives the table finalize() needs.
const void* const* interpreter_handlers(Engine& engine);
CallOutcome interpret(Engine& engine, Engine::Caches& caches, Ref call, std::uint64_t fuel);

// Runtime services the interpreter calls on its slow paths (runtime.cc).
StoreCache& store_cache(Engine& engine, Ref store);
InstanceCache& instance_cache(Engine& engine, StoreCache& store, std::uint32_t number);
FunctionRef& function_ref(Engine& engine, StoreCache& store, std::uint32_t number);
// memory.grow / table.grow: the old size, or -1 (limits). May throw vm::OutOfMemory.
std::int32_t grow_memory(Engine& engine, Ref memory, std::uint32_t delta);
std::int32_t grow_table(Engine& engine, Ref table, std::uint32_t delta, Cell init);
// The values of element segment `index` of an instance (table.init).
std::vector<Cell> element_values(Engine& engine, InstanceCache& instance, std::uint32_t index);

}  // namespace phantom::wasm
