// World runner: opens or creates a world, boots or resumes its VM, runs it and takes snapshots by
// the policy (system layer): every interval, on request, and at shutdown (the last one commits
// before exit). Returns the process exit code.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "host/env.h"
#include "store/store.h"

namespace phantom::system {

struct RunConfig {
  std::string world;
  std::uint64_t arena_size = store::default_arena_size;
  std::uint32_t retention = 3;
  std::uint64_t interval_ms = 1000;
  host::TrackingMode tracking = host::TrackingMode::automatic;
  bool once = false;                      // resume, snapshot, exit (no VM threads run)
  bool log_snapshots = false;             // a line on stderr for every snapshot
  std::string boot_class;                 // a new world's boot class (root.boot)
  std::vector<std::string> class_path;
  std::vector<std::string> environment;   // name=value for the kernel environment of a new world
};

// Signals, set by the command line's handlers: stop requests (the first commits and exits) and
// snapshot requests.
struct RunSignals {
  std::atomic<int> stop_requests{0};
  std::atomic<bool> snapshot_requested{false};
};

int run_world(host::Env& env, const RunConfig& config, RunSignals& signals);

}  // namespace phantom::system
