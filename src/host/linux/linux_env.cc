// LinuxEnv: the host Env for Linux (host layer, Linux): wires the clock, block devices, arenas and
// write trackers of this folder together.
#include <ctime>

#include "host/env.h"
#include "host/linux/file_block_device.h"
#include "host/linux/linux_arena.h"
#include "host/linux/mprotect_page_tracker.h"
#include "host/linux/uffd_page_tracker.h"

namespace phantom::host {

const char* tracking_mode_name(TrackingMode mode) {
  switch (mode) {
    case TrackingMode::automatic: return "auto";
    case TrackingMode::uffd_async: return "uffd-async";
    case TrackingMode::mprotect: return "mprotect";
  }
  return "?";
}

namespace linux_impl {
namespace {

std::uint64_t read_clock(clockid_t id) {
  timespec ts{};
  ::clock_gettime(id, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<std::uint64_t>(ts.tv_nsec);
}

class LinuxClock final : public Clock {
 public:
  std::uint64_t monotonic_ns() const override { return read_clock(CLOCK_MONOTONIC); }
  std::uint64_t wall_ns() const override { return read_clock(CLOCK_REALTIME); }
};

class LinuxEnv final : public Env {
 public:
  Clock& clock() override { return clock_; }

  Result<std::unique_ptr<BlockDevice>> open_block_device(const std::string& path, OpenMode mode) override {
    PHANTOM_ASSIGN(auto device, FileBlockDevice::open(path, mode));
    return std::unique_ptr<BlockDevice>(std::move(device));
  }

  Result<std::unique_ptr<Arena>> reserve_arena(std::uint64_t address, std::uint64_t size) override {
    PHANTOM_ASSIGN(auto arena, LinuxArena::reserve(address, size));
    return std::unique_ptr<Arena>(std::move(arena));
  }

  Result<std::unique_ptr<PageTracker>> track_writes(Arena& arena, TrackingMode mode) override {
    if (mode != TrackingMode::mprotect) {
      auto uffd = UffdPageTracker::start(arena);
      if (uffd.ok()) return std::unique_ptr<PageTracker>(std::move(uffd).value());
      if (mode == TrackingMode::uffd_async) return uffd.take_error();
      (void)uffd.error();  // automatic: fall back quietly; mode() tells the caller what it got
    }
    PHANTOM_ASSIGN(auto tracker, MprotectPageTracker::start(arena));
    return std::unique_ptr<PageTracker>(std::move(tracker));
  }

  Result<std::unique_ptr<PageTracker>> track_writes_lazily(Arena& arena, PageSource& source) override {
    PHANTOM_ASSIGN(auto tracker, UffdPageTracker::start(arena, &source));
    return std::unique_ptr<PageTracker>(std::move(tracker));
  }

 private:
  LinuxClock clock_;
};

}  // namespace
}  // namespace linux_impl

std::unique_ptr<Env> make_host_env() { return std::make_unique<linux_impl::LinuxEnv>(); }

}  // namespace phantom::host
