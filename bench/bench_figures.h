// What the benchmarks share: the clock they time with, the figures they report, and in-memory stand-ins
// for the host's console and clock when a world runs inside the bench process.
#pragma once

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "host/clock.h"
#include "vm/vm.h"

namespace phantom::bench {

// CLOCK_MONOTONIC in microseconds: the clock .internal.time.uptime() reads in a world, so a bench can
// subtract a time a world printed.
inline std::int64_t monotonic_us() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000;
}

// The q-quantile (0..1) by the nearest rank below; 0 for no samples.
inline double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}

inline double maximum(const std::vector<double>& v) { return v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()); }

// A console that keeps the world's output (for the bench to check) and shows diagnostics; no input.
struct CapturedConsole final : vm::Console {
  void write_output(std::string_view bytes) override { out.append(bytes); }
  void write_diagnostic(std::string_view text) override { std::fwrite(text.data(), 1, text.size(), stderr); }
  int poll_input() override { return input_eof; }
  std::string out;
};

struct SteadyClock final : host::Clock {
  std::uint64_t monotonic_ns() const override { return std::chrono::steady_clock::now().time_since_epoch().count(); }
  std::uint64_t wall_ns() const override { return std::chrono::system_clock::now().time_since_epoch().count(); }
};

}  // namespace phantom::bench
