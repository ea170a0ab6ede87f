// Control client: the client side of the control socket (system layer): one function per verb of
// docs/control.md, for `phantom start`, `snapshot`, `stop`, `status` and `attach`. Every error message
// starts with the world's name ("W: ...").
#pragma once

#include <cstdint>
#include <string>
#include <functional>
#include <vector>

#include <nlohmann/json.hpp>

#include "host/terminal.h"
#include "system/running_world.h"
#include "util/result.h"

namespace phantom::wasm {
struct WasmCommand;
}

namespace phantom::system {

// The control socket of a world when no --control path is given: beside the image.
std::string default_control_path(const std::string& world);

// Which world, and where its control socket is (default_control_path(world) when not given).
struct ControlTarget {
  std::string world;
  std::string socket;
};

// Starts a WebAssembly WASI command in a new thread of a running world (the module travels in the request).
Result<std::string> start_wasm_in_running_world(const ControlTarget& target, const wasm::WasmCommand& command);
Result<std::string> start_in_running_world(const ControlTarget& target, const std::string& class_name,
                                           const std::vector<std::string>& extra_class_path);
Result<std::uint64_t> snapshot_running_world(const ControlTarget& target);
// Lets a quarantined VM thread of a running world run again (docs/faults.md); returns its summary.
Result<std::string> resume_thread_in_running_world(const ControlTarget& target, std::uint32_t id);
Result<WorldStatus> running_world_status(const ControlTarget& target);

struct StopOutcome {
  std::int64_t pid = 0;
  bool exited = false;  // false: the process still ran after the timeout
};
// Asks for a clean stop and waits up to `timeout_ms` for the process to exit.
Result<StopOutcome> stop_running_world(const ControlTarget& target, int timeout_ms);

// The world's screen as PNG bytes; mouse and key events as if the user made them (control_input.h).
Result<std::string> screenshot_running_world(const ControlTarget& target);
Result<std::size_t> input_to_running_world(const ControlTarget& target, const nlohmann::json& events);

// Attaches this terminal to the world's console until the user detaches, the world stops or stdin ends.
// `on_attached` runs once the world accepted, before any console output is shown.
Result<host::RelayEnd> attach_to_console(const ControlTarget& target, const std::function<void()>& on_attached);

}  // namespace phantom::system
