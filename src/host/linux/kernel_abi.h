// Kernel ABI that Debian 12's headers (linux-libc-dev 6.1) do not declare yet (host layer, Linux only).
// Owns: the userfaultfd asynchronous write-protect flags and the PAGEMAP_SCAN ioctl of Linux >= 6.7.
// These values are stable kernel ABI; whether the running kernel supports them is asked at run time
// (UFFDIO_API reports the features), so a build on old headers still works on a new kernel.
#pragma once

#include <linux/userfaultfd.h>
#include <sys/ioctl.h>

#include <cstdint>

namespace phantom::host::linux_abi {

constexpr int uffd_user_mode_only = 1;                // UFFD_USER_MODE_ONLY
constexpr std::uint64_t uffd_feature_wp_unpopulated = 1ull << 13;
constexpr std::uint64_t uffd_feature_wp_async = 1ull << 15;

struct PageRegion {  // struct page_region
  std::uint64_t start;
  std::uint64_t end;  // exclusive
  std::uint64_t categories;
};

struct PmScanArg {  // struct pm_scan_arg
  std::uint64_t size;
  std::uint64_t flags;
  std::uint64_t start;
  std::uint64_t end;
  std::uint64_t walk_end;
  std::uint64_t vec;
  std::uint64_t vec_len;
  std::uint64_t max_pages;
  std::uint64_t category_inverted;
  std::uint64_t category_mask;
  std::uint64_t category_anyof_mask;
  std::uint64_t return_mask;
};

constexpr unsigned long pagemap_scan = _IOWR('f', 16, PmScanArg);
constexpr std::uint64_t page_is_written = 1ull << 1;
constexpr std::uint64_t page_is_present = 1ull << 3;
constexpr std::uint64_t page_is_swapped = 1ull << 4;
constexpr std::uint64_t pm_scan_wp_matching = 1ull << 0;
constexpr std::uint64_t pm_scan_check_wpasync = 1ull << 1;

}  // namespace phantom::host::linux_abi
