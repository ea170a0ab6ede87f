// UffdPageTracker: async userfaultfd write-protect + PAGEMAP_SCAN (host layer, Linux).
#include "host/linux/uffd_page_tracker.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "host/linux/kernel_abi.h"

namespace phantom::host::linux_impl {
namespace abi = linux_abi;

namespace {
// Regions returned per PAGEMAP_SCAN call; a full vector means "call again from walk_end".
constexpr std::size_t scan_vector_len = 4096;
}  // namespace

Result<std::unique_ptr<UffdPageTracker>> UffdPageTracker::start(Arena& arena) {
  // UFFD_USER_MODE_ONLY works unprivileged even with vm.unprivileged_userfaultfd = 0; we never need
  // kernel-mode faults because the kernel resolves async write-protect faults itself.
  int uffd = static_cast<int>(::syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | abi::uffd_user_mode_only));
  if (uffd < 0)
    return make_error(Errc::unsupported, "userfaultfd is not available: {}", std::strerror(errno));
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
  reg.mode = UFFDIO_REGISTER_MODE_WP;
  if (::ioctl(uffd, UFFDIO_REGISTER, &reg) != 0) return fail("register");

  // Protect the whole range, populated or not (WP_UNPOPULATED), so the first write anywhere is seen.
  uffdio_writeprotect wp{};
  wp.range = reg.range;
  wp.mode = UFFDIO_WRITEPROTECT_MODE_WP;
  if (::ioctl(uffd, UFFDIO_WRITEPROTECT, &wp) != 0) return fail("write-protect");

  int pagemap = ::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (pagemap < 0) return fail("open /proc/self/pagemap");
  return std::unique_ptr<UffdPageTracker>(new UffdPageTracker(arena, uffd, pagemap));
}

UffdPageTracker::~UffdPageTracker() {
  ::close(pagemap_);
  ::close(uffd_);  // closing the fd unregisters the range and drops its write-protection
}

Status UffdPageTracker::collect(std::vector<PageRun>& out) {
  abi::PageRegion regions[scan_vector_len];
  auto base = reinterpret_cast<std::uint64_t>(arena_.base());
  std::uint64_t start = base;
  const std::uint64_t end = base + arena_.size();
  while (start < end) {
    abi::PmScanArg arg{};
    arg.size = sizeof arg;
    arg.flags = abi::pm_scan_wp_matching | abi::pm_scan_check_wpasync;
    arg.start = start;
    arg.end = end;
    arg.vec = reinterpret_cast<std::uint64_t>(regions);
    arg.vec_len = scan_vector_len;
    arg.category_mask = abi::page_is_written;
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
