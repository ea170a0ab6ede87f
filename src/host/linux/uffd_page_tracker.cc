// UffdPageTracker: async userfaultfd write-protect + PAGEMAP_SCAN (host layer, Linux).
#include "host/linux/uffd_page_tracker.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "host/linux/kernel_abi.h"

namespace phantom::host::linux_impl {
namespace abi = linux_abi;

namespace {
// Regions returned per PAGEMAP_SCAN call; a full vector means "call again from walk_end".
constexpr std::size_t scan_vector_len = 4096;
}  // namespace

Result<std::unique_ptr<UffdPageTracker>> UffdPageTracker::start(Arena& arena, PageSource* lazy_source) {
  // Tracking alone: UFFD_USER_MODE_ONLY works unprivileged even with vm.unprivileged_userfaultfd = 0,
  // and kernel-mode faults are not needed since the kernel resolves async write-protect faults itself.
  // Lazy mode needs kernel-mode MISSING faults too (see the header).
  // Write-protection and page filling work in the kernel's pages; ours are 4 KiB. On a 16 or 64 KiB
  // page kernel (some arm64 ones) the store falls back to mprotect tracking and eager restore.
  if (long host_page = ::sysconf(_SC_PAGESIZE); host_page != static_cast<long>(page_size))
    return make_error(Errc::unsupported, "userfaultfd tracking needs 4 KiB pages; this kernel's are {} KiB", host_page >> 10);
  int flags = O_CLOEXEC | O_NONBLOCK | (lazy_source ? 0 : abi::uffd_user_mode_only);
  int uffd = static_cast<int>(::syscall(SYS_userfaultfd, flags));
  if (uffd < 0)
    return make_error(Errc::unsupported, "userfaultfd{} is not available: {}", lazy_source ? " with kernel faults" : "",
                      std::strerror(errno));
  auto fail = [&](const char* what) -> Error {
    int err = errno;
    ::close(uffd);
    return make_error(Errc::unsupported, "userfaultfd {}: {}", what, std::strerror(err));
  };
  uffdio_api api{};
  api.api = UFFD_API;
  api.features = abi::uffd_feature_wp_async | abi::uffd_feature_wp_unpopulated;
  if (::ioctl(uffd, UFFDIO_API, &api) != 0) return fail("asynchronous write-protect (needs Linux 6.7)");

  uffdio_register reg{};
  reg.range.start = reinterpret_cast<std::uint64_t>(arena.base());
  reg.range.len = arena.size();
  reg.mode = UFFDIO_REGISTER_MODE_WP | (lazy_source ? UFFDIO_REGISTER_MODE_MISSING : 0);
  if (::ioctl(uffd, UFFDIO_REGISTER, &reg) != 0) return fail("register");

  // Protect the whole range, populated or not (WP_UNPOPULATED), so the first write anywhere is seen.
  // Not in lazy mode: there every page comes into being through a MISSING fault that install() answers
  // with a write-protected copy, so the arena (untouched until now) needs no markers. Marking a 1 GiB
  // range costs 4-6 ms of a reopen and the page tables of all of it, and each scan then walks every
  // marker (collect_below). Should MISSING mode ever be dropped after the prefetch, the pages never
  // filled would have to be protected then.
  if (!lazy_source) {
    uffdio_writeprotect wp{};
    wp.range = reg.range;
    wp.mode = UFFDIO_WRITEPROTECT_MODE_WP;
    if (::ioctl(uffd, UFFDIO_WRITEPROTECT, &wp) != 0) return fail("write-protect");
  }

  int pagemap = ::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (pagemap < 0) return fail("open /proc/self/pagemap");
  int wakeup = -1;
  if (lazy_source && (wakeup = ::eventfd(0, EFD_CLOEXEC)) < 0) {
    ::close(pagemap);
    return fail("eventfd");
  }
  std::unique_ptr<UffdPageTracker> tracker(new UffdPageTracker(arena, uffd, pagemap, lazy_source, wakeup));
  if (lazy_source) tracker->handler_ = std::thread([t = tracker.get()] { t->serve_faults(); });
  return tracker;
}

UffdPageTracker::~UffdPageTracker() {
  if (handler_.joinable()) {
    std::uint64_t one = 1;
    (void)!::write(wakeup_, &one, sizeof one);
    handler_.join();
    ::close(wakeup_);
  }
  ::close(pagemap_);
  ::close(uffd_);  // closing the fd unregisters the range and drops its write-protection
}

Status UffdPageTracker::install(std::uint64_t page, const std::byte* data) {
  if (!source_) return PageTracker::install(page, data);
  uffdio_copy copy{};
  copy.dst = reinterpret_cast<std::uint64_t>(arena_.page(page));
  copy.src = reinterpret_cast<std::uint64_t>(data);
  copy.len = page_size;
  copy.mode = UFFDIO_COPY_MODE_WP;
  while (::ioctl(uffd_, UFFDIO_COPY, &copy) != 0) {
    if (errno == EEXIST) break;  // touched (and filled) meanwhile: the arena's copy is newer
    if (errno == EAGAIN) {       // the address space was changing; retry what is left
      copy.copy = 0;
      continue;
    }
    return make_error(Errc::io, "cannot fill arena page {}: {}", page, std::strerror(errno));
  }
  return ok_status();
}

// The fault handler: one thread that answers every first touch of an unfilled page.
void UffdPageTracker::serve_faults() {
  alignas(page_size) static thread_local std::byte buffer[page_size];
  auto base = reinterpret_cast<std::uint64_t>(arena_.base());
  for (;;) {
    pollfd fds[2] = {{uffd_, POLLIN, 0}, {wakeup_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents) return;
    uffd_msg msg;
    ssize_t n = ::read(uffd_, &msg, sizeof msg);
    if (n != sizeof msg || msg.event != UFFD_EVENT_PAGEFAULT) continue;
    std::uint64_t address = msg.arg.pagefault.address & ~(page_size - 1);
    std::uint64_t page = (address - base) / page_size;
    source_->fill_page(page, buffer);
    auto done = install(page, buffer);
    if (!done.ok()) {
      std::fprintf(stderr, "phantom: fatal: %s\n", done.error().message.c_str());
      std::abort();
    }
    // If the page was filled by someone else (EEXIST), the faulting thread still needs waking.
    uffdio_range range{address, page_size};
    ::ioctl(uffd_, UFFDIO_WAKE, &range);
  }
}

Status UffdPageTracker::collect(std::vector<PageRun>& out) { return collect_below(out, arena_.size()); }

Status UffdPageTracker::collect_below(std::vector<PageRun>& out, std::uint64_t limit_bytes) {
  abi::PageRegion regions[scan_vector_len];
  auto base = reinterpret_cast<std::uint64_t>(arena_.base());
  std::uint64_t start = base;
  // PAGEMAP_SCAN walks every page-table entry of the range (unpopulated ones carry write-protect
  // markers), so its cost follows the range, not the pages written: scan only what may be written.
  const std::uint64_t limit = (std::min(limit_bytes, arena_.size()) + page_size - 1) / page_size * page_size;
  const std::uint64_t end = base + limit;
  while (start < end) {
    abi::PmScanArg arg{};
    arg.size = sizeof arg;
    arg.flags = abi::pm_scan_wp_matching | abi::pm_scan_check_wpasync;
    arg.start = start;
    arg.end = end;
    arg.vec = reinterpret_cast<std::uint64_t>(regions);
    arg.vec_len = scan_vector_len;
    arg.category_mask = abi::page_is_written;
    // A written page is in memory or in swap. A page of a lazily restored arena that nothing has
    // touched yet has no entry at all (no write-protect marker either: lazy restore installs pages
    // write-protected as they come), and the kernel counts such a hole as written: the first
    // snapshot after a restore rewrote every untouched zero page of the written extent.
    arg.category_anyof_mask = abi::page_is_present | abi::page_is_swapped;
    arg.return_mask = abi::page_is_written;
    long n = ::ioctl(pagemap_, abi::pagemap_scan, &arg);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(Errc::io, "PAGEMAP_SCAN failed: {}", std::strerror(errno));
    }
    for (long i = 0; i < n; ++i) {
      std::uint64_t first = (regions[i].start - base) / page_size;
      std::uint64_t count = (regions[i].end - regions[i].start) / page_size;
      if (!out.empty() && out.back().first + out.back().count == first)
        out.back().count += count;
      else
        out.push_back({first, count});
    }
    // Only a vector that was not filled proves the walk reached the end (walk_end is not reliable).
    if (static_cast<std::size_t>(n) < scan_vector_len) break;
    start = arg.walk_end;
  }
  return ok_status();
}

}  // namespace phantom::host::linux_impl
