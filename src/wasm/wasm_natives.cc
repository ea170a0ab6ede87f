// .internal.wasm: WebAssembly for Phantom programs (wasm layer, subsystems.md §5.2). The natives of the
// original, with these differences (docs/compatibility.md): a module is instantiated once, at
// loadModule, and its instance (memory, globals, tables) lives on across invokeWasm calls; a call
// survives snapshots, restarts and kill -9 at any point (the original resumed only outside host
// calls); wasiInvokeStart runs a fresh instance each time, as a command expects.
// Every call runs in slices (wasm_service.h); the natives that run wasm code are restartable: when
// one runs again after a slice, a restart or a collection, it finds its call in the object and
// continues it instead of starting over.
#include <cstring>

#include "wasm/wasi.h"
#include "wasm/wasm_object.h"
#include "wasm/wasm_pool.h"
#include "wasm/wasm_service.h"

namespace phantom::wasm {
namespace {

using vm::NativeCall;
using vm::NativeOutcome;
using vm::Vm;

constexpr std::string_view old_object =
    "this .internal.wasm object was made by an older Phantom and holds no WebAssembly state; make a new one";

Ref ensure_store(Vm& vm, Ref self) {
  Ref store = wasm_slot(vm, self, wasm_store);
  if (store != vm::raw_null) return store;
  Engine& engine = service_of(vm).engine();
  store = engine.new_store();
  set_wasm_slot(vm, self, wasm_store, store);
  // The guest ABI finds its wasm object (the object pool, the owner thread) through the store.
  engine.set_host_state(store, "phantom", self);
  return store;
}

Ref value_object(Vm& vm, const Value& v) {
  switch (v.type) {
    case ValueType::i32: return vm.new_int(static_cast<std::int32_t>(v.bits));
    case ValueType::i64: return vm.new_long(static_cast<std::int64_t>(v.bits));
    case ValueType::f32: {
      float f;
      auto bits = static_cast<std::uint32_t>(v.bits);
      std::memcpy(&f, &bits, 4);
      return vm.new_float(f);
    }
    case ValueType::f64: {
      double d;
      std::memcpy(&d, &v.bits, 8);
      return vm.new_double(d);
    }
    default:  // a reference: its handle, or null
      return v.bits == 0 ? vm.null_object() : vm.new_long(static_cast<std::int64_t>(v.bits - 1));
  }
}

// Starts `call` as the object's call in progress, owned by the calling thread.
void set_running(Vm& vm, Ref self, Ref call, RunningKind kind, Ref thread) {
  Ref running = vm.new_page(running_slots, vm::raw_null);  // running_thrown: set by the guest's phantom_throw
  vm.set_page_ref(running, running_call, call);
  vm.set_page_ref(running, running_kind, vm.new_int(kind));
  vm.set_page_ref(running, running_thread, thread);
  set_wasm_slot(vm, self, wasm_running, running);
}

// What a thread finds when it calls a running object: its own call (continue it) or another's (busy).
enum class Busy { idle, mine, other };
Busy busy(Vm& vm, Ref self, NativeCall& c, RunningKind kind) {
  Ref running = wasm_slot(vm, self, wasm_running);
  if (running == vm::raw_null) return Busy::idle;
  const Ref* r = vm.page_refs(running);
  if (r[running_thread] == c.thread && vm.int_of(r[running_kind]) == kind) return Busy::mine;
  return Busy::other;
}
NativeOutcome throw_busy(Vm& vm, NativeCall& c, Ref self) {
  Ref thread = vm.page_refs(wasm_slot(vm, self, wasm_running))[running_thread];
  return vm.throw_string(c, fmt::format("a WebAssembly call is in progress on this object (thread {}); wait for it to end",
                                        vm.thread_data(thread)->id));
}

// Runs one slice of the object's call; on its end, hands the outcome to `done`.
template <typename Done>
NativeOutcome run_slice(Vm& vm, NativeCall& c, Ref self, Done done) {
  WasmService& service = service_of(vm);
  Ref call = vm.page_refs(wasm_slot(vm, self, wasm_running))[running_call];
  CallOutcome out = service.engine().run(call, service.config().fuel_per_slice);  // OutOfMemory: retried
  vm::ThreadData* td = vm.thread_data(c.thread);
  switch (out.status) {
    case CallOutcome::yielded:
      return NativeOutcome::blocked;  // still runnable: the scheduler runs this native again
    case CallOutcome::blocked:
      if (out.wait_input) {
        td->state = vm::ThreadState::wait_input;
      } else if (out.wake_ns > vm.wall_now()) {
        td->state = vm::ThreadState::sleeping;
        td->wake_ns = out.wake_ns;
        vm.wake_at(c.thread, out.wake_ns);
      }
      return NativeOutcome::blocked;
    default:
      break;
  }
  // phantom_throw (phantom_abi.cc) leaves the object to throw in the page and traps the call.
  Ref running = wasm_slot(vm, self, wasm_running);
  Ref thrown = vm.page_slots(running) > running_thrown ? vm.page_refs(running)[running_thrown] : vm::raw_null;
  set_wasm_slot(vm, self, wasm_running, vm::raw_null);
  if (thrown != vm::raw_null && out.status == CallOutcome::trapped) {
    c.result = thrown;  // rethrown as it is
    return NativeOutcome::thrown;
  }
  return done(out);
}

NativeOutcome trap_to_exception(Vm& vm, NativeCall& c, const CallOutcome& out) {
  if (out.status == CallOutcome::exited) return vm.throw_string(c, fmt::format("wasi proc exit:{}", out.exit_code));
  return vm.throw_string(c, "Wasm function call failed: " + out.trap);
}

// [8] loadModule(code: string): decode, validate, instantiate, and run the start function.
NativeOutcome load_module(Vm& vm, NativeCall& c) {
  if (!is_wasm_object(vm, c.self)) return vm.throw_string(c, old_object);
  Ref self = c.self;
  Busy b = busy(vm, self, c, kind_start_function);
  if (b == Busy::other) return throw_busy(vm, c, self);
  auto finish = [&](const CallOutcome& out) {
    if (out.status != CallOutcome::finished) {
      set_wasm_slot(vm, self, wasm_instance, vm::raw_null);
      return trap_to_exception(vm, c, out);
    }
    return c.ret(vm.null_object());
  };
  if (b == Busy::mine) return run_slice(vm, c, self, finish);
  if (c.nargs < 1 || !vm.is_a(c.args[0], vm::cid_string)) return vm.throw_string(c, "loadModule: the module must be a string of its bytes");
  std::string_view code = vm.string_of(c.args[0]);
  Engine& engine = service_of(vm).engine();
  Ref store = ensure_store(vm, self);
  auto module = engine.load_module(store, {reinterpret_cast<const std::uint8_t*>(code.data()), code.size()});
  if (!module.ok()) return vm.throw_string(c, module.error().message + " [LOAD]");
  set_wasm_slot(vm, self, wasm_module, *module);
  set_wasm_slot(vm, self, wasm_instance, vm::raw_null);
  set_wasm_slot(vm, self, wasm_owner, c.thread);
  // The arguments and environment a module importing WASI sees until wasiInvokeStart sets others.
  std::vector<std::string> args{"module"}, env;
  Ref env_list = wasm_slot(vm, self, wasm_env);
  if (env_list != vm::raw_null)
    for (std::uint32_t i = 0; i < vm.array_size(env_list); ++i) env.emplace_back(vm.string_of(vm.array_get(env_list, i)));
  auto set = set_wasi_args(engine, store, args, env);
  if (!set.ok()) return vm.throw_string(c, set.error().message + " [LOAD]");
  auto instance = engine.instantiate(store, *module);
  if (!instance.ok()) return vm.throw_string(c, instance.error().message + " [LOAD]");
  set_wasm_slot(vm, self, wasm_instance, *instance);
  auto start = engine.begin_start(*instance);
  if (!start.ok()) return vm.throw_string(c, start.error().message + " [LOAD]");
  if (*start == vm::raw_null) return c.ret(vm.null_object());
  set_running(vm, self, *start, kind_start_function, c.thread);
  return run_slice(vm, c, self, finish);
}

// [9] invokeWasm(name: string, args: array of int, long, float, double): calls an export.
NativeOutcome invoke_wasm(Vm& vm, NativeCall& c) {
  if (!is_wasm_object(vm, c.self)) return vm.throw_string(c, old_object);
  Ref self = c.self;
  Busy b = busy(vm, self, c, kind_invoke);
  if (b == Busy::other) return throw_busy(vm, c, self);
  auto finish = [&](const CallOutcome& out) {
    if (out.status != CallOutcome::finished) return trap_to_exception(vm, c, out);
    if (out.results.empty()) return c.ret(vm.null_object());
    if (out.results.size() == 1) return c.ret(value_object(vm, out.results[0]));
    Ref array = vm.new_array();
    for (const Value& v : out.results) {
      Ref o = value_object(vm, v);
      vm.array_push(array, o);
    }
    return c.ret(array);
  };
  if (b == Busy::mine) return run_slice(vm, c, self, finish);
  Ref instance = wasm_slot(vm, self, wasm_instance);
  if (instance == vm::raw_null) return vm.throw_string(c, "invokeWasm: no module is loaded (loadModule first)");
  if (c.nargs < 2 || !vm.is_a(c.args[0], vm::cid_string)) return vm.throw_string(c, "invokeWasm: the function name must be a string");
  std::string name(vm.string_of(c.args[0]));
  Engine& engine = service_of(vm).engine();
  auto e = engine.find_export(instance, name);
  if (!e || e->kind != ExternalKind::function) return vm.throw_string(c, fmt::format("invokeWasm: the module exports no function \"{}\"", name));
  const FuncType* type = engine.function_type(instance, e->index);
  Ref args = c.args[1];
  if (!vm.is_a(args, vm::cid_array)) return vm.throw_string(c, "invokeWasm: the arguments must be an array");
  if (vm.array_size(args) != type->params.size())
    return vm.throw_string(c, fmt::format("invokeWasm: {} takes {} argument(s), {} given", name, type->params.size(), vm.array_size(args)));
  std::vector<Value> values;
  for (std::uint32_t i = 0; i < vm.array_size(args); ++i) {
    Ref a = vm.array_get(args, i);
    ValueType want = type->params[i];
    Value v{want, 0};
    bool ok = false;
    if (want == ValueType::i32 && vm.is_int(a)) {
      v.bits = static_cast<std::uint32_t>(vm.int_of(a));
      ok = true;
    } else if ((want == ValueType::i64 && vm.is_a(a, vm::cid_long)) || (want == ValueType::f64 && vm.is_a(a, vm::cid_double))) {
      std::memcpy(&v.bits, vm.heap().data(a), 8);
      ok = true;
    } else if (want == ValueType::f32 && vm.is_a(a, vm::cid_float)) {
      std::uint32_t bits;
      std::memcpy(&bits, vm.heap().data(a), 4);
      v.bits = bits;
      ok = true;
    }
    if (!ok) {
      const char* names[] = {"int", "long", "float", "double"};
      int k = want == ValueType::i32 ? 0 : want == ValueType::i64 ? 1 : want == ValueType::f32 ? 2 : 3;
      return vm.throw_string(c, fmt::format("Parameter {}: expected {} argument", i + 1, is_reference(want) ? "reference" : names[k]));
    }
    values.push_back(v);
  }
  auto call = engine.begin_call(instance, e->index, values);
  if (!call.ok()) return vm.throw_string(c, call.error().message);
  set_running(vm, self, *call, kind_invoke, c.thread);
  return run_slice(vm, c, self, finish);
}

// [10] wasiInvokeStart(argv: array of strings): runs the module as a WASI command in a fresh instance.
NativeOutcome wasi_invoke_start(Vm& vm, NativeCall& c) {
  if (!is_wasm_object(vm, c.self)) return vm.throw_string(c, old_object);
  Ref self = c.self;
  Busy b = busy(vm, self, c, kind_command);
  if (b == Busy::other) return throw_busy(vm, c, self);
  auto finish = [&](const CallOutcome& out) {
    if (vm.thread_data(c.thread)->thread_flags & vm::thread_boot)
      service_of(vm).set_boot_exit_code(out.status == CallOutcome::exited ? out.exit_code : out.status == CallOutcome::finished ? 0 : 1);
    if (out.status == CallOutcome::exited) return c.ret(vm.new_int(out.exit_code));
    if (out.status != CallOutcome::finished) return trap_to_exception(vm, c, out);
    return c.ret(vm.null_object());
  };
  if (b == Busy::mine) return run_slice(vm, c, self, finish);
  Ref module = wasm_slot(vm, self, wasm_module);
  if (module == vm::raw_null) return vm.throw_string(c, "wasiInvokeStart: no module is loaded (loadModule first)");
  std::vector<std::string> args, env;
  if (c.nargs >= 1 && vm.is_a(c.args[0], vm::cid_array)) {
    for (std::uint32_t i = 0; i < vm.array_size(c.args[0]); ++i) {
      Ref s = vm.array_get(c.args[0], i);
      if (!vm.is_a(s, vm::cid_string)) return vm.throw_string(c, fmt::format("wasiInvokeStart: argument {} is not a string", i));
      args.emplace_back(vm.string_of(s));
    }
  }
  if (args.empty()) args.emplace_back("wasm");
  Ref env_list = wasm_slot(vm, self, wasm_env);
  if (env_list != vm::raw_null)
    for (std::uint32_t i = 0; i < vm.array_size(env_list); ++i) env.emplace_back(vm.string_of(vm.array_get(env_list, i)));
  Engine& engine = service_of(vm).engine();
  Ref store = ensure_store(vm, self);
  auto set = set_wasi_args(engine, store, args, env);
  if (!set.ok()) return vm.throw_string(c, set.error().message);
  auto instance = engine.instantiate(store, module);
  if (!instance.ok()) return vm.throw_string(c, instance.error().message);
  set_wasm_slot(vm, self, wasm_instance, *instance);
  auto e = engine.find_export(*instance, "_start");
  if (!e || e->kind != ExternalKind::function) return vm.throw_string(c, "wasiInvokeStart: the module exports no _start function");
  const FuncType* type = engine.function_type(*instance, e->index);
  if (!type->params.empty() || !type->results.empty())
    return vm.throw_string(c, "wasiInvokeStart: _start must take and return nothing");
  // A start function runs first, then _start: a command module has none in practice.
  auto call = engine.begin_call(*instance, e->index, {});
  if (!call.ok()) return vm.throw_string(c, call.error().message);
  set_running(vm, self, *call, kind_command, c.thread);
  return run_slice(vm, c, self, finish);
}

// [11] wasiSetEnvVariables(env: array of "NAME=value" strings).
NativeOutcome wasi_set_env(Vm& vm, NativeCall& c) {
  if (!is_wasm_object(vm, c.self)) return vm.throw_string(c, old_object);
  if (c.nargs < 1 || !vm.is_a(c.args[0], vm::cid_array)) return vm.throw_string(c, "wasiSetEnvVariables: expected an array of strings");
  Ref src = c.args[0];
  for (std::uint32_t i = 0; i < vm.array_size(src); ++i)
    if (!vm.is_a(vm.array_get(src, i), vm::cid_string)) return vm.throw_string(c, fmt::format("wasiSetEnvVariables: element {} is not a string", i));
  Ref copy = vm.new_array();
  set_wasm_slot(vm, c.self, wasm_env, copy);
  for (std::uint32_t i = 0; i < vm.array_size(src); ++i) vm.array_push(copy, vm.array_get(src, i));
  return c.ret(vm.null_object());
}

// [12] shareObject(obj) -> long id (>= 1000).
NativeOutcome share_object(Vm& vm, NativeCall& c) {
  if (!is_wasm_object(vm, c.self)) return vm.throw_string(c, old_object);
  if (c.nargs < 1) return vm.throw_string(c, "shareObject: expected an object");
  ensure_pool(vm, c.self);
  Ref result = vm.new_long(vm.int_of(wasm_slot(vm, c.self, wasm_next_id)));  // the id pool_add gives
  pool_add(vm, c.self, c.args[0]);  // last: an OutOfMemory above leaves the pool as it was
  return c.ret(result);
}

// [13] retreiveObject(id: long, remove: int) -> object (the original's spelling).
NativeOutcome retrieve_object(Vm& vm, NativeCall& c) {
  if (!is_wasm_object(vm, c.self)) return vm.throw_string(c, old_object);
  if (c.nargs < 2 || !vm.is_a(c.args[0], vm::cid_long)) return vm.throw_string(c, "retreiveObject: expected a long id and an int");
  std::int64_t id;
  std::memcpy(&id, vm.heap().data(c.args[0]), 8);
  Ref pool = ensure_pool(vm, c.self);
  std::string key = std::to_string(id);
  Ref obj = vm.dir_get(pool, key);
  if (obj == vm::raw_null) return vm.throw_string(c, "Requested object not found");
  if (vm.is_int(c.args[1]) && vm.int_of(c.args[1]) != 0) vm.dir_remove(pool, key);
  return c.ret(obj);
}

// [14] releaseObjects(): empties the pool.
NativeOutcome release_objects(Vm& vm, NativeCall& c) {
  if (!is_wasm_object(vm, c.self)) return vm.throw_string(c, old_object);
  set_wasm_slot(vm, c.self, wasm_pool, vm::raw_null);
  ensure_pool(vm, c.self);
  return c.ret(vm.null_object());
}

}  // namespace

void install_wasm_natives(Vm& vm) {
  vm.set_native(vm::cid_wasm, 8, &load_module);
  vm.set_native(vm::cid_wasm, 9, &invoke_wasm);
  vm.set_native(vm::cid_wasm, 10, &wasi_invoke_start);
  vm.set_native(vm::cid_wasm, 11, &wasi_set_env);
  vm.set_native(vm::cid_wasm, 12, &share_object);
  vm.set_native(vm::cid_wasm, 13, &retrieve_object);
  vm.set_native(vm::cid_wasm, 14, &release_objects);
}

}  // namespace phantom::wasm
