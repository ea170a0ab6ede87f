// What the fuzzers that boot a VM world share: a console that drops everything and answers
// end of input, and a clock that never moves, so a run depends on its input alone.
#pragma once

#include <cstdint>
#include <string_view>

#include "host/env.h"
#include "vm/vm.h"

namespace phantom::fuzz {

struct QuietConsole final : vm::Console {
  void write_output(std::string_view) override {}
  void write_diagnostic(std::string_view) override {}
  int poll_input() override { return input_eof; }
};

struct FixedClock final : host::Clock {
  std::uint64_t monotonic_ns() const override { return 1'000'000; }
  std::uint64_t wall_ns() const override { return 1'700'000'000'000'000'000ull; }
};

}  // namespace phantom::fuzz
