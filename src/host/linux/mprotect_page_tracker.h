// MprotectPageTracker: the fallback write tracker for kernels without async userfaultfd (host layer, Linux).
// The arena is mapped read-only; the first write to a 64 KiB unit faults, the SIGSEGV handler makes the
// unit writable and marks it written. Units, not pages, keep the number of VMAs far below
// vm.max_map_count (random 4 KiB faults exhaust it at ~15 % of 1 GiB, persistence.md §4.3).
// Limitation: the kernel cannot write into a protected unit on our behalf (read(2) into the arena gets
// EFAULT); the system layer must read into a buffer and copy.
#pragma once

#include <atomic>
#include <memory>

#include "host/arena.h"
#include "host/page_tracker.h"

namespace phantom::host::linux_impl {

class MprotectPageTracker final : public PageTracker {
 public:
  static constexpr std::uint64_t unit_pages = 16;  // 64 KiB

  static Result<std::unique_ptr<MprotectPageTracker>> start(Arena& arena);
  ~MprotectPageTracker() override;
  MprotectPageTracker(const MprotectPageTracker&) = delete;
  MprotectPageTracker& operator=(const MprotectPageTracker&) = delete;

  TrackingMode mode() const override { return TrackingMode::mprotect; }
  Status collect(std::vector<PageRun>& out) override;

  // Called from the signal handler: true when `address` was ours and is now writable.
  bool on_write_fault(std::uintptr_t address);

 private:
  explicit MprotectPageTracker(Arena& arena);
  Arena& arena_;
  std::uint64_t units_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> written_;  // one bit per unit
};

}  // namespace phantom::host::linux_impl
