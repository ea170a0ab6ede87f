// UffdPageTracker: write tracking with userfaultfd asynchronous write-protect and PAGEMAP_SCAN
// (host layer, Linux >= 6.7). The kernel resolves the first write to a protected page by itself (about
// 1 µs, no signal, no handler thread) and remembers it; one PAGEMAP_SCAN ioctl reports the written
// pages and protects them again, atomically per page. Writes made by the kernel into the arena (read(2)
// into an object) are tracked too. Measurements: spec/persistence.md §4.3.
#pragma once

#include <memory>
#include <thread>

#include "host/arena.h"
#include "host/page_tracker.h"

namespace phantom::host::linux_impl {

class UffdPageTracker final : public PageTracker {
 public:
  // Fails with unsupported when the kernel lacks asynchronous write-protect.
  static Result<std::unique_ptr<UffdPageTracker>> start(Arena& arena, PageSource* lazy_source = nullptr);
  ~UffdPageTracker() override;
  UffdPageTracker(const UffdPageTracker&) = delete;
  UffdPageTracker& operator=(const UffdPageTracker&) = delete;

  TrackingMode mode() const override { return TrackingMode::uffd_async; }
  Status collect(std::vector<PageRun>& out) override;
  Status collect_below(std::vector<PageRun>& out, std::uint64_t limit_bytes) override;
  bool lazy() const override { return source_ != nullptr; }
  Status install(std::uint64_t page, const std::byte* data) override;

 private:
  UffdPageTracker(Arena& arena, int uffd, int pagemap, PageSource* source, int wakeup)
      : arena_(arena), uffd_(uffd), pagemap_(pagemap), source_(source), wakeup_(wakeup) {}
  void serve_faults();

  Arena& arena_;
  int uffd_;
  int pagemap_;
  PageSource* source_;
  int wakeup_;  // eventfd that ends the handler thread
  std::thread handler_;
};

}  // namespace phantom::host::linux_impl
