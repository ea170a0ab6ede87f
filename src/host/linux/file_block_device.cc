// FileBlockDevice: BlockDevice over pread/pwritev/fdatasync on a file or block device (host layer, Linux).
// May call: Linux only, and its I/O only through the SyscallTable so tests can inject failures.
#include "host/linux/file_block_device.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

namespace phantom::host::linux_impl {
namespace {

ssize_t real_pread(int fd, void* buf, size_t count, off_t offset) { return ::pread(fd, buf, count, offset); }
ssize_t real_pwritev(int fd, const struct iovec* iov, int iovcnt, off_t offset) {
  return ::pwritev(fd, iov, iovcnt, offset);
}
int real_fdatasync(int fd) { return ::fdatasync(fd); }
int real_ftruncate(int fd, off_t length) { return ::ftruncate(fd, length); }
int real_fallocate(int fd, int mode, off_t offset, off_t length) { return ::fallocate(fd, mode, offset, length); }
int real_sync_file_range(int fd, off_t offset, off_t nbytes, unsigned int flags) {
  return ::sync_file_range(fd, offset, nbytes, flags);
}

Errc errc_from_errno(int err) { return err == ENOSPC || err == EDQUOT || err == EFBIG ? Errc::no_space : Errc::io; }

// pwritev takes at most IOV_MAX pieces; larger gathers are split.
constexpr std::size_t max_iov = 1024;

}  // namespace

const SyscallTable& real_syscalls() {
  static const SyscallTable table{real_pread, real_pwritev, real_fdatasync, real_ftruncate, real_fallocate,
                                  real_sync_file_range};
  return table;
}

Result<std::unique_ptr<FileBlockDevice>> FileBlockDevice::open(const std::string& path, OpenMode mode,
                                                               const SyscallTable& syscalls) {
  int flags = O_CLOEXEC;
  switch (mode) {
    case OpenMode::create_new: flags |= O_RDWR | O_CREAT | O_EXCL; break;
    case OpenMode::open_existing: flags |= O_RDWR; break;
    case OpenMode::read_only: flags |= O_RDONLY; break;
  }
  int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return make_error(Errc::not_found, "{}: no such file", path);
    if (err == EEXIST) return make_error(Errc::exists, "{}: already exists", path);
    return make_error(Errc::io, "{}: cannot open: {}", path, std::strerror(err));
  }
  if (mode == OpenMode::create_new) {
    // The new name must outlive a power cut as the image's records will: fdatasync of the file does
    // not make its directory entry durable, an fsync of the directory does.
    std::string dir = std::filesystem::path(path).parent_path().string();
    int dir_fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int err = dir_fd < 0 ? errno : (::fsync(dir_fd) == 0 ? 0 : errno);
    if (dir_fd >= 0) ::close(dir_fd);
    if (err != 0) {
      ::close(fd);
      ::unlink(path.c_str());
      return make_error(Errc::io, "{}: cannot sync its directory: {}", path, std::strerror(err));
    }
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return make_error(Errc::io, "{}: cannot stat: {}", path, std::strerror(err));
  }
  bool is_block_device = S_ISBLK(st.st_mode);
  if (!is_block_device && !S_ISREG(st.st_mode)) {
    ::close(fd);
    return make_error(Errc::invalid_argument, "{}: not a regular file or block device", path);
  }
  if (mode != OpenMode::read_only && ::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return make_error(Errc::busy, "{}: in use by another process", path);
  }
  std::uint64_t bytes = static_cast<std::uint64_t>(st.st_size);
  if (is_block_device && ::ioctl(fd, BLKGETSIZE64, &bytes) != 0) {
    int err = errno;
    ::close(fd);
    return make_error(Errc::io, "{}: cannot read device size: {}", path, std::strerror(err));
  }
  auto device = std::unique_ptr<FileBlockDevice>(
      new FileBlockDevice(path, fd, is_block_device, mode == OpenMode::read_only, bytes / block_size, syscalls));
  device->partial_block_ = bytes % block_size != 0;
  return device;
}

FileBlockDevice::FileBlockDevice(std::string path, int fd, bool is_block_device, bool read_only,
                                 std::uint64_t size_blocks, const SyscallTable& syscalls)
    : path_(std::move(path)),
      fd_(fd),
      is_block_device_(is_block_device),
      read_only_(read_only),
      size_blocks_(size_blocks),
      syscalls_(syscalls) {}

FileBlockDevice::~FileBlockDevice() {
  if (flusher_.joinable()) {
    {
      std::lock_guard lock(flusher_mutex_);
      flusher_exit_ = true;
    }
    flusher_wake_.notify_one();
    flusher_.join();
  }
  ::close(fd_);
}

Status FileBlockDevice::check_range(std::uint64_t first, std::uint64_t count, const char* what) const {
  if (first > size_blocks_ || count > size_blocks_ - first)
    return make_error(Errc::invalid_argument, "{}: {} of blocks {}..{} beyond the end ({} blocks)", path_, what, first,
                      first + count, size_blocks_);
  return ok_status();
}

Status FileBlockDevice::read(std::uint64_t first, std::span<std::byte> out) {
  std::uint64_t count = out.size() / block_size;
  PHANTOM_TRY(check_range(first, count, "read"));
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = syscalls_.pread(fd_, out.data() + done, out.size() - done,
                                static_cast<off_t>(first * block_size + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(errc_from_errno(errno), "{}: read at block {}: {}", path_, first, std::strerror(errno));
    if (n == 0) return make_error(Errc::io, "{}: read at block {}: unexpected end of file", path_, first);
    done += static_cast<std::size_t>(n);
  }
  return ok_status();
}

Status FileBlockDevice::write(std::uint64_t first, std::span<const WritePiece> pieces) {
  if (read_only_) return make_error(Errc::invalid_argument, "{}: opened read-only", path_);
  std::uint64_t bytes = 0;
  for (const WritePiece& p : pieces) bytes += p.size;
  PHANTOM_TRY(check_range(first, bytes / block_size, "write"));
  std::vector<struct iovec> iov;
  iov.reserve(std::min(pieces.size(), max_iov));
  off_t offset = static_cast<off_t>(first * block_size);
  std::size_t next = 0;
  while (next < pieces.size()) {
    iov.clear();
    std::size_t batch_bytes = 0;
    for (; next < pieces.size() && iov.size() < max_iov; ++next) {
      iov.push_back({const_cast<std::byte*>(pieces[next].data), pieces[next].size});
      batch_bytes += pieces[next].size;
    }
    // Finish the batch, continuing after short writes.
    std::size_t index = 0;
    while (batch_bytes > 0) {
      ssize_t n = syscalls_.pwritev(fd_, iov.data() + index, static_cast<int>(iov.size() - index), offset);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0)
        return make_error(errc_from_errno(errno), "{}: write at block {}: {}", path_,
                          static_cast<std::uint64_t>(offset) / block_size, std::strerror(errno));
      if (n == 0) return make_error(Errc::io, "{}: write made no progress", path_);
      offset += n;
      batch_bytes -= static_cast<std::size_t>(n);
      auto left = static_cast<std::size_t>(n);
      while (left > 0 && left >= iov[index].iov_len) left -= iov[index++].iov_len;
      if (left > 0) {
        iov[index].iov_base = static_cast<char*>(iov[index].iov_base) + left;
        iov[index].iov_len -= left;
      }
    }
  }
  return ok_status();
}

Status FileBlockDevice::flush() {
  if (read_only_) return ok_status();
  if (flusher_.joinable()) {  // a background flush under way may fail: wait for its verdict
    std::unique_lock lock(flusher_mutex_);
    flusher_idle_.wait(lock, [&] { return !background_flushing_; });
  }
  if (int err = background_errno_.load(); err != 0)
    return make_error(errc_from_errno(err), "{}: flush (in the background): {}", path_, std::strerror(err));
  while (syscalls_.fdatasync(fd_) != 0) {
    if (errno == EINTR) continue;
    return make_error(errc_from_errno(errno), "{}: flush: {}", path_, std::strerror(errno));
  }
  return ok_status();
}

// One readahead request per run of consecutive blocks: the kernel reads them in the background, all
// of them queued at once, where reading them one by one waits for each in turn.
void FileBlockDevice::prefetch(std::span<const std::uint64_t> blocks) {
  for (std::size_t i = 0; i < blocks.size();) {
    std::size_t j = i + 1;
    while (j < blocks.size() && blocks[j] == blocks[j - 1] + 1) ++j;
    if (blocks[i] < size_blocks_)
      (void)::posix_fadvise(fd_, static_cast<off_t>(blocks[i] * block_size), static_cast<off_t>((j - i) * block_size),
                            POSIX_FADV_WILLNEED);
    i = j;
  }
}

// The write-back starts on a thread of its own: a snapshot that starts meanwhile does not wait for it,
// and its own flush finds less on the way to the disk. sync_file_range(SYNC_FILE_RANGE_WRITE) starts
// the writes without waiting for them and without the disk's cache flush that an fdatasync here cost
// every commit once more (a commit flushes its pages and nodes, then its record, or both at once when
// it is small, docs/store.md). Measured
// with `phantom_bench --only snapshot.writeout`, 256 MiB 1% dirty: 0.50-0.58 of the gather anchor
// with fdatasync here, 0.57-0.79 with this (docs/store.md, "Write-out"). A failed write-back is still
// reported by the next flush(): the kernel keeps a write error for the fdatasync after it.
void FileBlockDevice::start_writeout() {
  if (read_only_) return;
  std::lock_guard lock(flusher_mutex_);
  if (!flusher_.joinable()) flusher_ = std::thread([this] { run_flusher(); });
  flush_wanted_ = true;
  flusher_wake_.notify_one();
}

void FileBlockDevice::run_flusher() {
  std::unique_lock lock(flusher_mutex_);
  for (;;) {
    flusher_wake_.wait(lock, [&] { return flush_wanted_ || flusher_exit_; });
    if (flusher_exit_) return;
    flush_wanted_ = false;
    background_flushing_ = true;
    lock.unlock();
    int err = 0;
    while (syscalls_.sync_file_range(fd_, 0, 0, SYNC_FILE_RANGE_WRITE) != 0) {
      if (errno == EINTR) continue;
      err = errno;
      break;
    }
    if (err != 0) background_errno_.store(err);
    lock.lock();
    background_flushing_ = false;
    flusher_idle_.notify_all();
  }
}

Status FileBlockDevice::grow(std::uint64_t blocks) {
  if (blocks <= size_blocks_) return ok_status();
  if (read_only_) return make_error(Errc::invalid_argument, "{}: opened read-only", path_);
  if (is_block_device_)
    return make_error(Errc::no_space, "{}: device full ({} blocks, {} needed)", path_, size_blocks_, blocks);
  // Allocate the blocks now: a full disk is reported here rather than by a later write or flush,
  // and first writes into the new space cost no block allocation at flush time. File systems
  // without fallocate get a sparse extension.
  off_t old_size = static_cast<off_t>(size_blocks_ * block_size);
  off_t added = static_cast<off_t>((blocks - size_blocks_) * block_size);
  if (syscalls_.fallocate(fd_, 0, old_size, added) != 0) {
    if (errno != EOPNOTSUPP && errno != ENOSYS)
      return make_error(errc_from_errno(errno), "{}: cannot grow to {} blocks: {}", path_, blocks, std::strerror(errno));
    if (syscalls_.ftruncate(fd_, old_size + added) != 0)
      return make_error(errc_from_errno(errno), "{}: cannot grow to {} blocks: {}", path_, blocks, std::strerror(errno));
  }
  size_blocks_ = blocks;
  return ok_status();
}

}  // namespace phantom::host::linux_impl
