// RunningWorld: what a running `phantom run` offers to its control channel (system layer).
// The world runner implements it; the control socket (control_server.h) serves it to `phantom start`,
// `snapshot`, `stop` and `status`. Every call is safe from any host thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "host/display.h"
#include "util/result.h"

namespace phantom::wasm {
struct WasmCommand;
}

namespace phantom::system {

struct WorldStatus {
  std::string world;                    // the image path as given to `phantom run`
  std::int64_t pid = 0;
  std::uint64_t uptime_ms = 0;          // since this process resumed or booted the world
  std::uint64_t boots = 0;              // how often the world was booted or resumed, this time included
  std::uint64_t threads = 0;            // live VM threads
  std::uint64_t heap_used = 0, heap_capacity = 0, live_bytes = 0;
  std::uint64_t last_snapshot_seq = 0;  // the newest committed snapshot
  std::uint64_t last_snapshot_wall_ns = 0;
  std::uint64_t snapshots_this_run = 0;
  double pause_p50_ms = 0, pause_p99_ms = 0, pause_max_ms = 0;  // over the recent snapshots of this run
  std::uint64_t pending_output_bytes = 0, pending_output_writes = 0;  // waiting for a commit (rule 5)
  std::uint64_t connections = 0;        // open connections (.internal.connection)
  std::string display;                  // "no display", "headless 1024x768", "vnc on 127.0.0.1:5900", ...
};

class RunningWorld {
 public:
  virtual ~RunningWorld() = default;
  // Loads `class_name` (the class cache, `extra_class_path`, then the world's class path) and starts its
  // method 8 in a new VM thread at once. Returns a description of the thread ("thread 7").
  virtual Result<std::string> start_class(const std::string& class_name,
                                          const std::vector<std::string>& extra_class_path) = 0;
  // Starts a WebAssembly WASI command in a new VM thread at once ("thread 7").
  virtual Result<std::string> start_wasm(const wasm::WasmCommand& command) {
    (void)command;
    return make_error(Errc::unsupported, "this world cannot run WebAssembly");
  }
  // Lets a thread that crash-loop recovery quarantined run again (docs/faults.md); returns its summary.
  virtual Result<std::string> resume_thread(std::uint32_t id) {
    (void)id;
    return make_error(Errc::unsupported, "this world cannot resume threads");
  }
  // Takes a snapshot now and waits for its commit; returns its sequence number.
  virtual Result<std::uint64_t> snapshot_now() = 0;
  // Asks for a clean stop: a last snapshot commits, then `phantom run` exits 0. Returns at once.
  virtual void request_stop() = 0;
  virtual WorldStatus status() = 0;
  // The screen as a PNG file's bytes (docs/graphics.md); an error for a world without a display.
  virtual Result<std::string> screenshot_png() { return make_error(Errc::unsupported, "this world has no display"); }
  // Mouse and key events as if the user made them (top-left origin, as on a screenshot); returns once
  // the world has handled them and what they changed on the screen is composed.
  virtual Status inject_input(const std::vector<host::InputEvent>& events) {
    (void)events;
    return make_error(Errc::unsupported, "this world has no display");
  }
};

}  // namespace phantom::system
