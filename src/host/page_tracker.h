// PageTracker: which arena pages were written since the last look (host layer interface).
// The store asks "which pages were written since you last told me, and start watching them again",
// atomically per page: a write that races with collect() is either in this report or in the next one,
// never lost. That is all a snapshot needs (pre-copy rounds and the final cut).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "util/result.h"

namespace phantom::host {

// Pages [first, first + count) of the arena.
struct PageRun {
  std::uint64_t first;
  std::uint64_t count;
};

enum class TrackingMode {
  automatic,   // the best the kernel offers: uffd_async if available, else mprotect
  uffd_async,  // userfaultfd asynchronous write-protect + PAGEMAP_SCAN (Linux >= 6.7)
  mprotect,    // PROT_READ + SIGSEGV handler, in 64 KiB units; kernel writes into the arena get EFAULT
};

const char* tracking_mode_name(TrackingMode mode);

class PageTracker {
 public:
  virtual ~PageTracker() = default;
  virtual TrackingMode mode() const = 0;
  // Appends the runs of pages written since the previous call (or since tracking began) to `out`,
  // in ascending order, and re-arms tracking for them.
  virtual Status collect(std::vector<PageRun>& out) = 0;
};

}  // namespace phantom::host
