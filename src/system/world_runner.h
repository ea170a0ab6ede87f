// World runner: opens or creates a world, boots or resumes its VM, runs it and takes snapshots by
// the policy (system layer): every interval, on request, and at shutdown (the last one commits
// before exit). Returns the process exit code.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "host/display.h"
#include "host/env.h"
#include "store/store.h"
#include "system/fault_history.h"

namespace phantom::system {

struct RunConfig {
  std::string world;
  std::uint64_t arena_size = store::default_arena_size;
  std::uint32_t retention = 3;
  std::uint64_t interval_ms = 1000;
  host::TrackingMode tracking = host::TrackingMode::automatic;
  bool arena_anywhere = false;            // tests: map the arena away from its recorded address
  bool once = false;                      // resume, snapshot, exit (no VM threads run)
  bool log_snapshots = false;             // a line on stderr for every snapshot
  std::string boot_class;                 // a new world's boot class (root.boot)
  // WebAssembly (docs/wasm.md): a new world whose boot thread runs this WASI command (--boot-wasm).
  std::string boot_wasm;                  // the module's file
  std::vector<std::string> wasm_args;     // its arguments after argv[0] (the file name)
  std::vector<std::string> wasm_env;      // its environment, NAME=value
  std::vector<std::string> class_path;
  std::vector<std::string> environment;   // name=value for the kernel environment of a new world
  // The control socket and daemon mode (control_server.h, docs/control.md).
  std::string control_path;               // the control socket; empty: <world>.sock beside the image
  bool attachable_console = false;        // --detach/--foreground: the console waits for `phantom attach`
  std::function<void()> on_ready;         // called once the world runs and the control socket listens
  // Connections and output commit (docs/connections.md).
  std::string files_directory;            // the sandbox of fio: files; empty: <world>.files beside the image
  bool console_commit = false;            // console output waits for its commit too (--console-commit)
  std::uint64_t commit_delay_us = 0;      // pending output waits at most this long before its snapshot starts
  // Networking rules (connections/net_rules.h, docs/network.md "Security").
  std::vector<std::string> listen_rules;  // --listen ADDR:PORT: non-loopback addresses the world may listen on
  std::vector<std::string> connect_rules; // --connect HOST:PORT, HOST:*, *: where it may connect; none: anywhere
  // Graphics (docs/graphics.md): the display the desktop is shown on; the screen size applies without one too.
  host::DisplayConfig display;            // kind "none" by default
  bool taskbar_clock = true;              // --no-clock: no clock on the task bar (exact screenshots in tests)
  // Faults and crash loops (docs/faults.md).
  CrashLoopPolicy crash_loop;             // --on-crash-loop, --crash-loop-failures, --crash-loop-window
  std::uint32_t gc_step_us = 500;         // --gc-step: the collector's longest step (docs/vm.md)
  std::uint64_t watchdog_ms = 30'000;     // --watchdog: a VM thread this long without a safepoint ends the run (0: off)
  bool test_faults = false;               // --test-faults: serve flt:, which makes the process fail on request
};

// Signals, set by the command line's handlers: stop requests (the first commits and exits) and
// snapshot requests.
struct RunSignals {
  std::atomic<int> stop_requests{0};
  std::atomic<bool> snapshot_requested{false};
};

int run_world(host::Env& env, const RunConfig& config, RunSignals& signals);

}  // namespace phantom::system
