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

// Supplies the contents of pages that a lazily restored arena has not filled yet. Called from the
// tracker's fault-handler thread on the first touch of such a page; must fill all 4096 bytes.
class PageSource {
 public:
  virtual ~PageSource() = default;
  virtual void fill_page(std::uint64_t page, std::byte* out) = 0;
};

class PageTracker {
 public:
  virtual ~PageTracker() = default;
  virtual TrackingMode mode() const = 0;
  // Whether first touches of unfilled pages are served from a PageSource (lazy restore).
  virtual bool lazy() const { return false; }
  // Lazy mode only: fills `page` from `data` (4 KiB) unless it was filled already; the page starts
  // write-protected, so filling it does not count as a write.
  virtual Status install(std::uint64_t page, const std::byte* data) {
    (void)page, (void)data;
    return make_error(Errc::unsupported, "this tracker does not restore lazily");
  }
  // Appends the runs of pages written since the previous call (or since tracking began) to `out`,
  // in ascending order, and re-arms tracking for them.
  virtual Status collect(std::vector<PageRun>& out) = 0;
  // The same for the first `limit_bytes` of the arena only: the caller knows that nothing above was
  // written since tracking began (pages written above stay marked for a later call that covers them).
  // A tracker may scan more; scanning less is what makes small snapshots of a large arena cheap.
  virtual Status collect_below(std::vector<PageRun>& out, std::uint64_t limit_bytes) {
    (void)limit_bytes;
    return collect(out);
  }
};

}  // namespace phantom::host
