// The object pool of a .internal.wasm object (wasm layer): the objects shared with its guests, in a
// directory keyed by the decimal form of their 64-bit id, ids given from wasm_next_id (1000 upwards).
// Used by the natives shareObject / retreiveObject / releaseObjects (wasm_natives.cc) and by the guest
// ABI (phantom_abi.cc). Functions that allocate throw vm::OutOfMemory with nothing visible changed.
#pragma once

#include <cstdint>
#include <string>

#include "wasm/wasm_object.h"

namespace phantom::wasm {

inline constexpr std::int64_t first_pool_id = 1000;

// The object's pool, made (empty, next id 1000) on first use.
inline vm::Ref ensure_pool(vm::Vm& vm, vm::Ref self) {
  vm::Ref pool = wasm_slot(vm, self, wasm_pool);
  if (pool == vm::raw_null) {
    pool = vm.new_directory();
    set_wasm_slot(vm, self, wasm_pool, pool);
    set_wasm_slot(vm, self, wasm_next_id, vm.new_int(static_cast<std::int32_t>(first_pool_id)));
  }
  return pool;
}

// Adds `obj` under a new id and returns the id.
inline std::int64_t pool_add(vm::Vm& vm, vm::Ref self, vm::Ref obj) {
  vm::Ref pool = ensure_pool(vm, self);
  std::int32_t id = vm.int_of(wasm_slot(vm, self, wasm_next_id));
  vm::Ref key = vm.new_string(std::to_string(id));
  vm::Ref next = vm.new_int(id + 1);
  vm.dir_put(pool, key, obj, true);
  set_wasm_slot(vm, self, wasm_next_id, next);
  return id;
}

// The object under `id`, or raw_null.
inline vm::Ref pool_get(vm::Vm& vm, vm::Ref self, std::int64_t id) {
  vm::Ref pool = wasm_slot(vm, self, wasm_pool);
  if (pool == vm::raw_null) return vm::raw_null;
  return vm.dir_get(pool, std::to_string(id));
}

// Replaces the object under an existing `id` (false when there is none).
inline bool pool_replace(vm::Vm& vm, vm::Ref self, std::int64_t id, vm::Ref obj) {
  if (pool_get(vm, self, id) == vm::raw_null) return false;
  vm::Ref key = vm.new_string(std::to_string(id));
  vm.dir_put(wasm_slot(vm, self, wasm_pool), key, obj, true);
  return true;
}

// Drops `id` from the pool (false when it was not there).
inline bool pool_remove(vm::Vm& vm, vm::Ref self, std::int64_t id) {
  vm::Ref pool = wasm_slot(vm, self, wasm_pool);
  return pool != vm::raw_null && vm.dir_remove(pool, std::to_string(id));
}

}  // namespace phantom::wasm
