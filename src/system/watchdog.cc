// Watchdog (system layer). May call: host/ (the fault note), vm/ (its progress counters).
#include "system/watchdog.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "host/fault_note.h"

namespace phantom::system {

Watchdog::Watchdog(const vm::Vm& machine, std::uint64_t limit_ms, std::string world)
    : vm_(machine), limit_ms_(limit_ms), world_(std::move(world)) {
  if (limit_ms_ > 0) thread_ = std::thread([this] { watch(); });
}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mutex_);
    done_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Watchdog::watch() {
  // Eight ticks per limit, each at least 10 ms: a stuck thread is found between 7/8 and 9/8 of the limit.
  const std::uint64_t tick_ms = std::max<std::uint64_t>(10, limit_ms_ / 8);
  const std::uint64_t ticks_to_fire = std::max<std::uint64_t>(1, (limit_ms_ + tick_ms - 1) / tick_ms);
  std::uint64_t last_progress = vm_.safepoints_reached();
  std::uint32_t last_thread = 0;
  std::uint64_t still = 0;
  std::unique_lock lock(mutex_);
  while (!cv_.wait_for(lock, std::chrono::milliseconds(tick_ms), [&] { return done_; })) {
    std::uint64_t progress = vm_.safepoints_reached();
    std::uint32_t thread = vm_.running_thread_id().load(std::memory_order_relaxed);
    if (thread == 0 || progress != last_progress || thread != last_thread) {
      still = 0;
      last_progress = progress;
      last_thread = thread;
      continue;
    }
    if (++still < ticks_to_fire) continue;
    std::string what = fmt::format("VM thread {} ran for {:.1f} s without reaching a safepoint (a native call that does not return?)",
                                   thread, static_cast<double>(still * tick_ms) / 1000.0);
    host::record_fatal_fault(host::FaultKind::watchdog, thread, what);
    std::fprintf(stderr, "phantom: %s: watchdog: %s; the world can take no snapshot, so this process ends. "
                 "The next start records the fault (phantom events %s).\n", world_.c_str(), what.c_str(), world_.c_str());
    std::fflush(stderr);
    std::_Exit(70);
  }
}

}  // namespace phantom::system
