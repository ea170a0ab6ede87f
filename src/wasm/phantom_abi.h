// The "phantom" guest ABI (wasm layer, subsystems.md §5.3): the host module "env" whose phantom_*
// imports let a guest create, read, mutate and release PVM objects, call their natives and throw them.
//
// Guests name objects by i64 ids (pointers and lengths are i32): 0 none or error; 1..42 the class
// objects (root slot id - 1; 19 and 20 give nothing); 998 the owner thread of the wasm object; 999 the
// null object; 1000 and up the wasm object's pool (wasm_pool.h). The wasm object is found through
// Engine::host_state(store, "phantom"); a store without one (a bare Engine) answers every id as invalid.
//
// Host functions run on the VM executor. One that allocates may throw vm::OutOfMemory before it has
// changed anything visible (the pool is added to last), so it is run again after a collection;
// phantom_syscall of a native that blocks (a `tmr:` connection's block) blocks the wasm call having
// changed nothing, and the native is called again when the call resumes.
#pragma once

#include "wasm/runtime.h"

namespace phantom::wasm {

// The module to add with Engine::add_host_module (WasmService does).
HostModule phantom_abi_module();

}  // namespace phantom::wasm
