// Runtime: WebAssembly stores, modules, instances and calls, with all of their state in the arena
// (wasm layer, public interface). docs/wasm.md has the layouts.
//
// Persistent (arena objects, design.md rule 1: Refs and numbers only, no host address):
//  - a store: its modules (their bytes), instances, the function table that funcref values index,
//    names registered for linking, and a directory where host modules keep their state (WASI's);
//  - an instance: its module and, per index space, the store objects it uses (functions, memory,
//    tables, globals), and which segments were dropped;
//  - a memory: its bytes in one binary object, replaced by a larger one on memory.grow;
//  - a table: one cell per element; a global: one cell;
//  - a call: the value stack (cells), the frames (function, wasm offset, stack base) and its outcome.
// Host caches (decoded modules, compiled code, resolved host functions) are rebuilt from the arena on
// first use after every start, so a call resumes mid-function under a rebuilt binary.
//
// Threads: every method runs on the VM's executor (a native, or a test with the world not running).
// Methods that allocate throw vm::OutOfMemory like Vm::alloc; what they build is linked into the store
// last, so a retry after a collection starts clean.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"
#include "vm/heap.h"
#include "wasm/code.h"
#include "wasm/module.h"

namespace phantom::vm {
class Vm;
}

namespace phantom::wasm {

using vm::Ref;

struct Value {
  ValueType type = ValueType::i32;
  Cell bits = 0;  // as on the stack (code.h): i32 zero-extended, floats as bits, references 0 = null
};

// Our implementation limits for running code (decoder.h has those of decoding).
struct EngineLimits {
  std::uint32_t memory_pages = 16384;     // 1 GiB of linear memory per memory
  std::uint32_t table_elements = 10'000'000;
  std::uint32_t stack_cells = 1u << 18;   // 2 MiB of value stack per call
  std::uint32_t frames = 20'000;          // call depth ("call stack exhausted" beyond it)
};

class Engine;

// What a host function (an import the host provides: WASI, the "phantom" ABI) sees of the call.
// A host function either completes before the wasm pc moves (done, trap, exit), or changes nothing and
// asks to run again later (block): so a crash in the middle of a host call never runs it half.
struct HostCall {
  Engine& engine;
  vm::Vm& vm;
  Ref call;                      // the running call object (its thread is vm.current_thread())
  Ref store;
  Ref instance;                  // the calling instance
  std::span<const Cell> args;
  std::span<Cell> results;       // sized to the function type's results
  std::uint8_t* memory = nullptr;   // the calling instance's memory 0 (null when it has none)
  std::uint64_t memory_size = 0;
  void* context = nullptr;       // HostModule::context
  // Set by the host function for its outcome:
  std::string trap;              // trap: the message
  std::int32_t exit_code = 0;    // exit (WASI proc_exit)
  std::int64_t wake_ns = 0;      // block: wall-clock time to run again (0: as soon as possible)
  bool wait_input = false;       // block: run again when console input arrives

  // [offset, offset + size) inside memory; false (and nothing touched) when it is not.
  bool in_memory(std::uint64_t offset, std::uint64_t size) const {
    return memory && offset <= memory_size && size <= memory_size - offset;
  }
};
enum class HostOutcome { done, trap, block, exit };
using HostFn = HostOutcome (*)(HostCall& call);

struct HostFunction {
  std::string name;
  FuncType type;
  HostFn fn = nullptr;
};
// A host function as a line of a table: the types as letters, i: i32, I: i64, f: f32, F: f64
// ("IiIiii" -> "i"). host_functions() turns a table into the functions of a HostModule.
struct HostFunctionEntry {
  const char* name;
  const char* params;
  const char* results;
  HostFn fn;
};
std::vector<HostFunction> host_functions(std::span<const HostFunctionEntry> table);

// Host functions are found by (module name, function name) when a module is instantiated and again
// after each restart: the store persists the names, never the function addresses.
struct HostModule {
  std::string name;                 // "wasi_snapshot_preview1", "env", "spectest"
  std::vector<HostFunction> functions;
  void* context = nullptr;
};

struct CallOutcome {
  enum Status { finished, yielded, trapped, blocked, exited } status = finished;
  std::vector<Value> results;       // finished
  std::string trap;                 // trapped: "<message> in function <name> at offset 0x1f3"
  std::string trap_message;         // trapped: the message alone ("integer divide by zero")
  std::int32_t exit_code = 0;       // exited
  std::int64_t wake_ns = 0;         // blocked: run again at this wall-clock time (0: when woken)
  bool wait_input = false;          // blocked on console input
};

// What a module exports, resolved to the store object behind it.
struct ExportTarget {
  ExternalKind kind = ExternalKind::function;
  std::uint32_t index = 0;          // in the instance's index space
};

class Engine {
 public:
  explicit Engine(vm::Vm& vm, EngineLimits limits = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  vm::Vm& machine() { return vm_; }
  const EngineLimits& limits() const { return limits_; }
  // Host modules are looked up by name; add them before instantiating or resuming anything.
  void add_host_module(HostModule module);

  Ref new_store();
  // Decodes, validates and compiles; the bytes are copied into the arena. Errors: Errc::corrupt for a
  // malformed module, Errc::invalid_argument for an invalid one, Errc::unsupported over our limits.
  Result<Ref> load_module(Ref store, std::span<const std::uint8_t> bytes);
  // A new instance of `module`: imports are resolved against instances registered in the store, then
  // host modules; memories, tables and globals are made and the active segments applied. The start
  // function is not run: begin_start() makes a call of it. Link errors name the import ("unknown
  // import env.f", "incompatible import type for env.g"); a segment out of bounds fails the
  // instantiation with the trap's text (no instance is registered, but segments written before the
  // failing one stay written, as the spec says).
  Result<Ref> instantiate(Ref store, Ref module);
  void register_instance(Ref store, std::string_view name, Ref instance);
  Ref registered_instance(Ref store, std::string_view name);  // raw_null when none

  Ref module_of(Ref instance) const;
  const Module& decoded(Ref module);  // the host cache of a module object
  std::optional<ExportTarget> find_export(Ref instance, std::string_view name);
  // The type of an exported function (nullptr when `index` is no function).
  const FuncType* function_type(Ref instance, std::uint32_t index);
  Result<Value> global_value(Ref instance, std::uint32_t index);
  // The host view of an instance's memory 0 (nullptr and 0 when it has none). Valid until the next
  // call runs or the memory grows.
  std::span<std::uint8_t> memory(Ref instance);

  // A call of function `index` of `instance` with `args` (checked against its type), or of the start
  // function; begin_start returns raw_null when the module has none. Nothing runs until run().
  Result<Ref> begin_call(Ref instance, std::uint32_t index, std::span<const Value> args);
  Result<Ref> begin_start(Ref instance);
  // Runs the call for at most `fuel` units (a unit is one call or one loop iteration), then returns:
  // finished, trapped and exited calls are over (run() again reports the same outcome); a yielded call
  // continues with the next run(); a blocked one once its wake time or input has come.
  CallOutcome run(Ref call, std::uint64_t fuel);
  Ref call_store(Ref call) const;

  // Persistent state of host modules, per store: any arena object, kept alive by the store and found
  // again after a restart by the module's name (WASI keeps its arguments, environment and open files).
  Ref host_state(Ref store, std::string_view module) const;   // raw_null when none was set
  void set_host_state(Ref store, std::string_view module, Ref state);

  // The function a funcref cell names in `store` (tests, the guest ABI).
  struct FunctionInfo {
    Ref instance = vm::raw_null;  // raw_null for a host function
    std::uint32_t index = 0;      // in the instance's index space
  };

  struct Caches;  // host memory, keyed by arena objects (runtime_internal.h)
  Caches* caches();

 private:
  vm::Vm& vm_;
  EngineLimits limits_;
  std::unique_ptr<Caches> caches_;
};

}  // namespace phantom::wasm
