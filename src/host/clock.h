// Clock: monotonic time for measuring, wall time for records (host layer interface).
#pragma once

#include <cstdint>

namespace phantom::host {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::uint64_t monotonic_ns() const = 0;
  virtual std::uint64_t wall_ns() const = 0;  // nanoseconds since the Unix epoch
};

}  // namespace phantom::host
