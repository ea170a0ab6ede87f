// Statistics: the counters that `stt:` reads (connections layer, subsystems.md §6). Up to 128 counters;
// each has its total this run (host memory, atomic), its total of previous runs (kept in the arena,
// root slot 72, written at a snapshot when it changed), and per-second figures computed by a one-second
// tick. The snapshot counter is not kept there: the store's sequence number already counts snapshots,
// and a counter that changes at every snapshot would dirty a page in every one (an idle world must
// write nothing, design rule 4).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "vm/vm.h"

namespace phantom::connections {

enum StatCounter : int {
  stat_reboots = 0,            // boots and resumes of the world
  stat_snapshots = 1,          // snapshots committed
  stat_output_writes = 2,      // committed writes released to the outside
  stat_output_bytes = 3,       // their bytes
  stat_tcp_rx = 6, stat_tcp_tx = 7, stat_udp_rx = 8, stat_udp_tx = 9,  // bytes (tcp_backend.cc, udp_backend.cc)
  stat_thread_switches = 41,   // VM slices run
  stat_timer_callbacks = 50,   // tmr: callbacks delivered
  stat_file_reads = 51,        // fio: bytes read
  stat_file_writes = 52,       // fio: bytes written
  stat_count = 128,
};

enum StatOp : int { stat_per_second = 0, stat_average = 1, stat_this_run = 2, stat_previous_runs = 3, stat_all_runs = 4, stat_idle = 5 };

class Statistics {
 public:
  void add(int counter, std::uint64_t n = 1) { this_run_[counter].fetch_add(n, std::memory_order_relaxed); }
  void set(int counter, std::uint64_t v) { this_run_[counter].store(v, std::memory_order_relaxed); }
  // After boot or attach (executor): loads the previous runs' totals and counts this boot.
  void attach(vm::Vm& vm);
  // The previous runs' total of a counter that the arena does not keep (stat_snapshots: the sequence
  // number of the restored snapshot). After attach.
  void set_previous(int counter, std::uint64_t v) { previous_[counter] = v; }
  // While the VM is stopped for a snapshot: stores previous + this run into the arena (not
  // stat_snapshots: see above).
  void capture(vm::Vm& vm);
  // Once a second (any thread): the per-second figures.
  void tick(std::uint64_t monotonic_ns);
  // One figure (StatOp) of one counter; -1 for a bad index or op.
  std::int64_t value(int counter, int op) const;

 private:
  std::array<std::atomic<std::uint64_t>, stat_count> this_run_{};
  std::array<std::uint64_t, stat_count> previous_{};
  std::array<std::atomic<std::uint64_t>, stat_count> per_second_{};
  std::array<std::uint64_t, stat_count> at_last_tick_{};
  std::uint64_t started_ns_ = 0, last_tick_ns_ = 0;
  std::atomic<std::uint64_t> seconds_{0};
};

}  // namespace phantom::connections
