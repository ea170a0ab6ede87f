// Statistics (connections layer): see statistics.h.
#include "connections/statistics.h"

#include <cstring>

#include "vm/objects.h"

namespace phantom::connections {

void Statistics::attach(vm::Vm& vm) {
  vm::Ref b = vm.root_slot(vm::root_statistics);
  // Worlds before this build hold a 64-byte placeholder there: they start counting now.
  if (vm.is_a(b, vm::cid_binary) && vm.heap().as<vm::BinaryData>(b)->length >= sizeof previous_) {
    std::memcpy(previous_.data(), vm.heap().as<vm::BinaryData>(b)->bytes, sizeof previous_);
  } else {
    previous_.fill(0);
    vm.set_root_slot(vm::root_statistics, vm.new_binary(sizeof previous_));
  }
  add(stat_reboots);
}

void Statistics::capture(vm::Vm& vm) {
  vm::Ref b = vm.root_slot(vm::root_statistics);
  if (!vm.is_a(b, vm::cid_binary) || vm.heap().as<vm::BinaryData>(b)->length < sizeof previous_) return;
  auto* out = reinterpret_cast<std::uint64_t*>(vm.heap().as<vm::BinaryData>(b)->bytes);
  for (int i = 0; i < stat_count; ++i) {
    if (i == stat_snapshots) continue;  // counted by the store
    std::uint64_t v = previous_[i] + this_run_[i].load(std::memory_order_relaxed);
    if (out[i] != v) out[i] = v;  // rule 4: write only what changed
  }
}

void Statistics::tick(std::uint64_t now) {
  if (started_ns_ == 0) started_ns_ = last_tick_ns_ = now;
  double seconds = (now - last_tick_ns_) / 1e9;
  if (seconds <= 0) seconds = 1;
  for (int i = 0; i < stat_count; ++i) {
    std::uint64_t v = this_run_[i].load(std::memory_order_relaxed);
    per_second_[i].store(static_cast<std::uint64_t>((v - at_last_tick_[i]) / seconds + 0.5), std::memory_order_relaxed);
    at_last_tick_[i] = v;
  }
  last_tick_ns_ = now;
  seconds_.store((now - started_ns_) / 1'000'000'000ull, std::memory_order_relaxed);
}

std::int64_t Statistics::value(int counter, int op) const {
  if (counter < 0 || counter >= stat_count) return -1;
  std::uint64_t run = this_run_[counter].load(std::memory_order_relaxed);
  switch (op) {
    case stat_per_second: return static_cast<std::int64_t>(per_second_[counter].load(std::memory_order_relaxed));
    case stat_average: {
      std::uint64_t s = seconds_.load(std::memory_order_relaxed);
      return static_cast<std::int64_t>(s ? run / s : run);
    }
    case stat_this_run: return static_cast<std::int64_t>(run);
    case stat_previous_runs: return static_cast<std::int64_t>(previous_[counter]);
    case stat_all_runs: return static_cast<std::int64_t>(previous_[counter] + run);
    case stat_idle: return 0;  // hosted: the CPU's idle share is the host's business
    default: return -1;
  }
}

}  // namespace phantom::connections
