// LinuxArena: reserving the object space at its fixed address (host layer, Linux).
#include "host/linux/linux_arena.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace phantom::host::linux_impl {

Result<std::unique_ptr<LinuxArena>> LinuxArena::reserve(std::uint64_t address, std::uint64_t size) {
  if (address % page_size != 0 || size % page_size != 0 || size == 0)
    return make_error(Errc::invalid_argument, "arena {:#x}+{:#x} is not page aligned", address, size);
  // Arena pages are 4 KiB everywhere (the image's unit); a kernel with 16 or 64 KiB pages (some arm64
  // ones) maps and protects in its own, larger pages, so the arena must be made of whole ones.
  const auto host_page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  if (address % host_page != 0 || size % host_page != 0)
    return make_error(Errc::invalid_argument, "arena {:#x}+{:#x} is not a multiple of this kernel's {} KiB pages",
                      address, size, host_page >> 10);
  // Address 0: wherever the kernel has room (a world whose recorded address is not available here).
  void* want = reinterpret_cast<void*>(address);
  const int fixed = address != 0 ? MAP_FIXED_NOREPLACE : 0;
  void* got = ::mmap(want, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | fixed, -1, 0);
  if (got == MAP_FAILED) {
    int err = errno;
    if (err == EEXIST)
      return make_error(Errc::busy, "arena address range {:#x}..{:#x} is already in use in this process", address,
                        address + size);
    return make_error(Errc::io, "cannot reserve the arena at {:#x} ({} MiB): {}", address, size >> 20,
                      std::strerror(err));
  }
  if (address != 0 && got != want) {  // a kernel older than 4.17 treats MAP_FIXED_NOREPLACE as a hint
    ::munmap(got, size);
    return make_error(Errc::busy, "arena address {:#x} is not available (the kernel offered {})", address, got);
  }
  ::madvise(got, size, MADV_NOHUGEPAGE);
  return std::unique_ptr<LinuxArena>(new LinuxArena(static_cast<std::byte*>(got), size));
}

LinuxArena::~LinuxArena() { ::munmap(base_, size_); }

}  // namespace phantom::host::linux_impl
