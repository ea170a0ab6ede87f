// Watchdog: ends the process when a VM thread runs past a limit without reaching a safepoint (system layer).
// Such a thread (stuck in a native call that never returns) holds the executor: the world can no
// longer be stopped, so no snapshot commits and no output is released. The watchdog records the fault
// in the run's fault note, says so on stderr and ends the process (exit 70); the next start logs the
// fault and counts it towards a crash loop (docs/faults.md).
//
// It counts its own ticks rather than elapsed time, so a process that was stopped (SIGSTOP, a
// suspended machine) is not taken for a stuck thread when it continues.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "vm/vm.h"

namespace phantom::system {

class Watchdog {
 public:
  // limit_ms 0: no watchdog.
  Watchdog(const vm::Vm& machine, std::uint64_t limit_ms, std::string world);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  void watch();

  const vm::Vm& vm_;
  const std::uint64_t limit_ms_;
  const std::string world_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace phantom::system
