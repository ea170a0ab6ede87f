// SyscallTable: the system calls the Linux block device makes, as replaceable function pointers
// (host layer, Linux). Tests substitute a table whose Nth write or flush fails with EIO or ENOSPC
// (SQLite's aSyscall[] in os_unix.c), so the store's error paths run for real.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

namespace phantom::host::linux_impl {

struct SyscallTable {
  ssize_t (*pread)(int fd, void* buf, size_t count, off_t offset);
  ssize_t (*pwritev)(int fd, const struct iovec* iov, int iovcnt, off_t offset);
  int (*fdatasync)(int fd);
  int (*ftruncate)(int fd, off_t length);
  int (*fallocate)(int fd, int mode, off_t offset, off_t length);
  int (*sync_file_range)(int fd, off_t offset, off_t nbytes, unsigned int flags);
};

// The table of the real system calls.
const SyscallTable& real_syscalls();

}  // namespace phantom::host::linux_impl
