// The "phantom" guest ABI, module "env" (subsystems.md §5.3). See phantom_abi.h.
//
// Differences from the original (docs/wasm.md "The phantom guest ABI"):
//  - phantom_get_string_contents would allocate inside the guest heap, which needs a call back into the
//    guest: it traps, naming phantom_string_length and phantom_copy_string, which replace it;
//  - phantom_syscall with an index beyond the class's table returns code 2 "no syscall" (the original
//    panics); natives of .internal.wasm objects are refused the same way (no re-entrance);
//  - phantom_syscall's thread id is ignored: the native runs on the thread running the wasm call;
//  - phantom_set_int replaces the pool entry under the same id (ints are tagged values, not mutable).
#include "wasm/phantom_abi.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "wasm/wasm_object.h"
#include "wasm/wasm_pool.h"

namespace phantom::wasm {
namespace {

using vm::NativeCall;
using vm::NativeOutcome;
using vm::Vm;

constexpr std::int64_t id_owner_thread = 998;
constexpr std::int64_t id_null = 999;
constexpr std::int64_t max_class_id = 42;

// The wasm object of the calling store, or raw_null.
Ref self_of(HostCall& call) {
  Ref self = call.engine.host_state(call.store, "phantom");
  return self != vm::raw_null && is_wasm_object(call.vm, self) ? self : vm::raw_null;
}

// The object an id names, or raw_null.
Ref resolve(HostCall& call, Ref self, std::int64_t id) {
  Vm& vm = call.vm;
  if (id >= 1 && id <= max_class_id) {
    if (id == 19 || id == 20) return vm::raw_null;  // the class loader and the driver
    return vm.root_slot(static_cast<std::uint32_t>(id - 1));
  }
  if (id == id_null) return vm.null_object();
  if (self == vm::raw_null) return vm::raw_null;
  if (id == id_owner_thread) return wasm_slot(vm, self, wasm_owner);
  if (id >= first_pool_id) return pool_get(vm, self, id);
  return vm::raw_null;
}

// An object handed to the guest: 999 for null, else a new pool id (0 without a wasm object).
std::int64_t share(HostCall& call, Ref self, Ref obj) {
  if (obj == vm::raw_null || call.vm.is_null(obj)) return id_null;
  if (self == vm::raw_null) return 0;
  return pool_add(call.vm, self, obj);
}

std::int64_t arg_i64(HostCall& c, std::size_t i) { return static_cast<std::int64_t>(c.args[i]); }
std::uint32_t arg_u32(HostCall& c, std::size_t i) { return static_cast<std::uint32_t>(c.args[i]); }
void result_i32(HostCall& c, std::int32_t v) { c.results[0] = static_cast<std::uint32_t>(v); }
void result_i64(HostCall& c, std::int64_t v) { c.results[0] = static_cast<Cell>(v); }

// ---- strings ----

HostOutcome create_string(HostCall& c) {
  std::uint32_t ptr = arg_u32(c, 0), len = arg_u32(c, 1);
  Ref self = self_of(c);
  if (self == vm::raw_null || !c.in_memory(ptr, len)) return result_i64(c, 0), HostOutcome::done;
  Ref s = c.vm.new_string({reinterpret_cast<const char*>(c.memory + ptr), len});
  result_i64(c, pool_add(c.vm, self, s));
  return HostOutcome::done;
}

HostOutcome get_string_contents(HostCall& c) {
  c.trap = "phantom_get_string_contents is not supported (it would allocate in the guest heap): "
           "use phantom_string_length(id) and phantom_copy_string(id, ptr, cap)";
  return HostOutcome::trap;
}

HostOutcome string_length(HostCall& c) {
  Ref s = resolve(c, self_of(c), arg_i64(c, 0));
  result_i32(c, s != vm::raw_null && c.vm.is_a(s, vm::cid_string) ? static_cast<std::int32_t>(c.vm.string_of(s).size()) : -1);
  return HostOutcome::done;
}

HostOutcome copy_string(HostCall& c) {
  Ref s = resolve(c, self_of(c), arg_i64(c, 0));
  std::uint32_t ptr = arg_u32(c, 1), cap = arg_u32(c, 2);
  if (s == vm::raw_null || !c.vm.is_a(s, vm::cid_string) || !c.in_memory(ptr, cap)) return result_i32(c, -1), HostOutcome::done;
  std::string_view text = c.vm.string_of(s);
  std::size_t n = std::min<std::size_t>(text.size(), cap);
  std::memcpy(c.memory + ptr, text.data(), n);
  result_i32(c, static_cast<std::int32_t>(n));
  return HostOutcome::done;
}

// ---- numbers ----

template <typename T>
T cell_as(Cell bits) {
  if constexpr (sizeof(T) == 4) {
    auto b = static_cast<std::uint32_t>(bits);
    T v;
    std::memcpy(&v, &b, 4);
    return v;
  } else {
    T v;
    std::memcpy(&v, &bits, 8);
    return v;
  }
}

HostOutcome make_int(HostCall& c) {
  Ref self = self_of(c);
  if (self == vm::raw_null) return result_i64(c, 0), HostOutcome::done;
  Ref o = c.vm.new_int(cell_as<std::int32_t>(c.args[0]));
  result_i64(c, pool_add(c.vm, self, o));
  return HostOutcome::done;
}
HostOutcome make_long(HostCall& c) {
  Ref self = self_of(c);
  if (self == vm::raw_null) return result_i64(c, 0), HostOutcome::done;
  Ref o = c.vm.new_long(arg_i64(c, 0));
  result_i64(c, pool_add(c.vm, self, o));
  return HostOutcome::done;
}
HostOutcome make_float(HostCall& c) {
  Ref self = self_of(c);
  if (self == vm::raw_null) return result_i64(c, 0), HostOutcome::done;
  Ref o = c.vm.new_float(cell_as<float>(c.args[0]));
  result_i64(c, pool_add(c.vm, self, o));
  return HostOutcome::done;
}
HostOutcome make_double(HostCall& c) {
  Ref self = self_of(c);
  if (self == vm::raw_null) return result_i64(c, 0), HostOutcome::done;
  Ref o = c.vm.new_double(cell_as<double>(c.args[0]));
  result_i64(c, pool_add(c.vm, self, o));
  return HostOutcome::done;
}

// A pool entry (id >= 1000) of class `cid`, or raw_null: only pool objects are mutated, never shared
// class objects or the null object.
Ref pool_object_of(HostCall& c, Ref self, std::int64_t id, vm::ClassId cid) {
  if (self == vm::raw_null || id < first_pool_id) return vm::raw_null;
  Ref o = pool_get(c.vm, self, id);
  if (o == vm::raw_null) return vm::raw_null;
  if (cid == vm::cid_int ? !c.vm.is_int(o) : !c.vm.is_a(o, cid)) return vm::raw_null;
  return o;
}

HostOutcome set_int(HostCall& c) {
  Ref self = self_of(c);
  std::int64_t id = arg_i64(c, 0);
  if (pool_object_of(c, self, id, vm::cid_int) == vm::raw_null) return result_i32(c, -1), HostOutcome::done;
  Ref o = c.vm.new_int(cell_as<std::int32_t>(c.args[1]));
  pool_replace(c.vm, self, id, o);  // ints are values: a new one under the same id
  result_i32(c, 0);
  return HostOutcome::done;
}

template <vm::ClassId cid, std::size_t size>
HostOutcome set_bytes(HostCall& c) {
  Ref o = pool_object_of(c, self_of(c), arg_i64(c, 0), cid);
  if (o == vm::raw_null) return result_i32(c, -1), HostOutcome::done;
  Cell bits = c.args[1];
  if constexpr (size == 4) {
    auto b = static_cast<std::uint32_t>(bits);
    std::memcpy(c.vm.heap().data(o), &b, 4);
  } else {
    std::memcpy(c.vm.heap().data(o), &bits, 8);
  }
  result_i32(c, 0);
  return HostOutcome::done;
}

// Reads any int, long, float or double the id names (also ids below 1000, which hold none today).
template <vm::ClassId cid, std::size_t size>
HostOutcome get_bytes(HostCall& c) {
  Ref o = resolve(c, self_of(c), arg_i64(c, 0));
  std::uint32_t ptr = arg_u32(c, 1);
  bool right = o != vm::raw_null && (cid == vm::cid_int ? c.vm.is_int(o) : c.vm.is_a(o, cid));
  if (!right || !c.in_memory(ptr, size)) return result_i32(c, -1), HostOutcome::done;
  if constexpr (cid == vm::cid_int) {
    std::int32_t v = c.vm.int_of(o);
    std::memcpy(c.memory + ptr, &v, 4);
  } else {
    std::memcpy(c.memory + ptr, c.vm.heap().data(o), size);
  }
  result_i32(c, 0);
  return HostOutcome::done;
}

// ---- objects ----

HostOutcome create_object(HostCall& c) {
  Ref self = self_of(c);
  std::int64_t id = arg_i64(c, 0);
  Ref cls = id >= 1 && id <= max_class_id ? resolve(c, self, id) : vm::raw_null;
  if (self == vm::raw_null || cls == vm::raw_null || !c.vm.is_a(cls, vm::cid_class) ||
      c.vm.class_data(cls)->sys_table_id < 0)
    return result_i64(c, 0), HostOutcome::done;
  Ref o = c.vm.new_instance(cls);
  result_i64(c, pool_add(c.vm, self, o));
  return HostOutcome::done;
}

HostOutcome release_object(HostCall& c) {
  Ref self = self_of(c);
  std::int64_t id = arg_i64(c, 0);
  if (self != vm::raw_null && id >= first_pool_id) pool_remove(c.vm, self, id);
  return HostOutcome::done;
}

// Traps the call; the object is left in the running page, and invokeWasm (run_slice in
// wasm_natives.cc) rethrows it as it is. Outside a native's call (a bare Engine) only the trap remains.
HostOutcome throw_object(HostCall& c) {
  Ref self = self_of(c);
  std::int64_t id = arg_i64(c, 0);
  Ref o = resolve(c, self, id);
  if (o == vm::raw_null) return result_i32(c, -1), HostOutcome::done;
  Ref running = wasm_slot(c.vm, self, wasm_running);
  if (running != vm::raw_null && c.vm.page_slots(running) > running_thrown) c.vm.set_page_ref(running, running_thrown, o);
  c.trap = "phantom_throw of object " + std::to_string(id);
  return HostOutcome::trap;
}

// phantom_syscall(me, ret_ptr, thread_id, index, argids_ptr, cells) -> code.
HostOutcome syscall_native(HostCall& c) {
  Vm& vm = c.vm;
  Ref self = self_of(c);
  std::int64_t me = arg_i64(c, 0);
  std::uint32_t ret = arg_u32(c, 1), index = arg_u32(c, 3), args_ptr = arg_u32(c, 4), cells = arg_u32(c, 5);
  if (!c.in_memory(ret, 8) || self == vm::raw_null) return result_i32(c, -1), HostOutcome::done;
  auto answer = [&](std::int32_t code, std::int64_t id) {
    std::memcpy(c.memory + ret, &id, 8);
    result_i32(c, code);
    return HostOutcome::done;
  };
  auto error = [&](std::string_view text) {
    Ref s = vm.new_string(text);
    return answer(2, pool_add(vm, self, s));
  };
  if (cells % 2 != 0) return error("odd args size");
  Ref target = resolve(c, self, me);
  if (target == vm::raw_null) return error("invalid id");
  std::string why;
  vm::Native fn = vm.is_a(target, vm::cid_wasm) ? nullptr : vm.native_for(target, index, why);
  if (fn == nullptr) return error("no syscall");
  std::uint32_t argc = cells / 2;
  if (!c.in_memory(args_ptr, std::uint64_t(argc) * 8)) return error("invalid arg id");
  std::vector<Ref> args(argc);
  for (std::uint32_t i = 0; i < argc; ++i) {
    std::int64_t id;
    std::memcpy(&id, c.memory + args_ptr + std::uint64_t(i) * 8, 8);
    args[i] = resolve(c, self, id);
    if (args[i] == vm::raw_null) return error("invalid arg id");
  }
  NativeCall nc{target, vm.current_thread(), args.data(), argc};
  NativeOutcome out = fn(vm, nc);  // OutOfMemory: the host call is made again after a collection
  switch (out) {
    case NativeOutcome::blocked:
      // The native keeps its wait state in the thread; the wasm call is run again, and this host call
      // with it, when the thread wakes. Nothing here has changed.
      c.wake_ns = 0;
      return HostOutcome::block;
    case NativeOutcome::thrown: return answer(1, share(c, self, nc.result));
    case NativeOutcome::value: break;
  }
  return answer(0, share(c, self, nc.result));
}


constexpr HostFunctionEntry entries[] = {
    {"phantom_create_string", "ii", "I", create_string},
    {"phantom_get_string_contents", "I", "i", get_string_contents},
    {"phantom_string_length", "I", "i", string_length},
    {"phantom_copy_string", "Iii", "i", copy_string},
    {"phantom_int", "i", "I", make_int},
    {"phantom_long", "I", "I", make_long},
    {"phantom_float", "f", "I", make_float},
    {"phantom_double", "F", "I", make_double},
    {"phantom_set_int", "Ii", "i", set_int},
    {"phantom_set_long", "II", "i", set_bytes<vm::cid_long, 8>},
    {"phantom_set_float", "If", "i", set_bytes<vm::cid_float, 4>},
    {"phantom_set_double", "IF", "i", set_bytes<vm::cid_double, 8>},
    {"phantom_get_int", "Ii", "i", get_bytes<vm::cid_int, 4>},
    {"phantom_get_long", "Ii", "i", get_bytes<vm::cid_long, 8>},
    {"phantom_get_float", "Ii", "i", get_bytes<vm::cid_float, 4>},
    {"phantom_get_double", "Ii", "i", get_bytes<vm::cid_double, 8>},
    {"phantom_create_object", "I", "I", create_object},
    {"phantom_release_object", "I", "", release_object},
    {"phantom_throw", "I", "i", throw_object},
    {"phantom_syscall", "IiIiii", "i", syscall_native},
};

}  // namespace

HostModule phantom_abi_module() {
  HostModule module;
  module.name = "env";
  module.functions = host_functions(entries);
  return module;
}

}  // namespace phantom::wasm
