// World tools: look into a stored world and start a class in it without running it (system layer).
// Both open the world exclusively (a running world is busy) and restore it into this process's arena.
// Inspecting writes nothing (only a damaged commit record is repaired, as by every open); starting
// commits one snapshot that holds the new VM thread.
// A world that is running is asked through its control socket instead (control_client.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/env.h"
#include "util/result.h"

namespace phantom::wasm {
struct WasmCommand;
}

namespace phantom::system {

struct WorldContents {
  bool booted = false;
  std::uint64_t boots = 0, gc_runs = 0;
  std::uint64_t heap_used = 0, heap_capacity = 0, live_bytes = 0;
  std::vector<std::string> classes;   // loaded classes (the VM's internal classes excluded)
  std::size_t internal_classes = 0;
  std::vector<std::string> threads;   // one line each: id name: state, in class.method line
};

Result<WorldContents> inspect_world(host::Env& env, const std::string& world);

// Starts `class_name`'s method 8 in a new VM thread of a world that is not running, and commits.
// Returns a description of the new thread.
Result<std::string> start_in_stopped_world(host::Env& env, const std::string& world, const std::string& class_name,
                                           const std::vector<std::string>& extra_class_path);
// Lets a quarantined VM thread of a world that is not running run again when the world runs next
// (docs/faults.md), and commits. Returns the thread's summary.
Result<std::string> resume_thread_in_stopped_world(host::Env& env, const std::string& world, std::uint32_t id);
// The same for a WebAssembly WASI command (phantom start --wasm): the module is validated and stored
// in the world, and a new thread will run it.
Result<std::string> start_wasm_in_stopped_world(host::Env& env, const std::string& world, const wasm::WasmCommand& command);

}  // namespace phantom::system
