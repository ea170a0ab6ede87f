// The data of a .internal.wasm object (wasm layer): eight references, after the original's API
// (subsystems.md §5.2). A world made before this layout has wasm objects with no data; the natives
// refuse them with a message instead of reading past them (design.md rule 6).
#pragma once

#include <cstdint>

#include "vm/vm.h"

namespace phantom::wasm {

enum WasmObjectSlot : std::uint32_t {
  wasm_store = 0,   // the object's store (runtime.h), made on first use
  wasm_module,      // the module last loaded
  wasm_instance,    // its instance: kept across invokeWasm calls (docs/compatibility.md)
  wasm_running,     // page [call, kind, thread, thrown] of the call in progress, or raw null
  wasm_owner,       // the thread that loaded the module (the guest ABI's id 998)
  wasm_env,         // array of "NAME=value" strings for WASI
  wasm_pool,        // directory: id (decimal) -> object shared with the guest
  wasm_next_id,     // int: the next pool id (from 1000)
  wasm_object_slots
};
// running_thrown: the object a guest's phantom_throw asked to throw (raw null: none); a page made by an
// older Phantom has only the first three slots.
enum RunningSlot : std::uint32_t { running_call = 0, running_kind, running_thread, running_thrown, running_slots };
enum RunningKind : std::int32_t { kind_start_function = 0, kind_invoke, kind_command };

inline bool is_wasm_object(vm::Vm& vm, vm::Ref obj) {
  return vm.is_a(obj, vm::cid_wasm) && vm.header_of(obj)->size >= wasm_object_slots * sizeof(vm::Ref);
}
inline vm::Ref wasm_slot(vm::Vm& vm, vm::Ref obj, WasmObjectSlot slot) { return vm.heap().as<vm::Ref>(obj)[slot]; }
inline void set_wasm_slot(vm::Vm& vm, vm::Ref obj, WasmObjectSlot slot, vm::Ref value) { vm.set_page_ref(obj, slot, value); }

}  // namespace phantom::wasm
