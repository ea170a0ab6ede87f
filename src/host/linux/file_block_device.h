// FileBlockDevice: a BlockDevice on a regular file or a Linux block device (host layer, Linux).
// Owns the file descriptor and an exclusive advisory lock (flock) for writers, so one world is never
// opened for writing by two processes. Regular files grow on demand; block devices have a fixed size.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "host/block_device.h"
#include "host/env.h"
#include "host/linux/syscall_table.h"

namespace phantom::host::linux_impl {

class FileBlockDevice final : public BlockDevice {
 public:
  static Result<std::unique_ptr<FileBlockDevice>> open(const std::string& path, OpenMode mode,
                                                       const SyscallTable& syscalls = real_syscalls());
  ~FileBlockDevice() override;
  FileBlockDevice(const FileBlockDevice&) = delete;
  FileBlockDevice& operator=(const FileBlockDevice&) = delete;

  const std::string& name() const override { return path_; }
  std::uint64_t size_blocks() const override { return size_blocks_; }
  bool empty() const override { return size_blocks_ == 0 && !partial_block_; }
  Status read(std::uint64_t first, std::span<std::byte> out) override;
  Status write(std::uint64_t first, std::span<const WritePiece> pieces) override;
  Status flush() override;
  void start_writeout() override;
  void prefetch(std::span<const std::uint64_t> blocks) override;
  Status grow(std::uint64_t blocks) override;

 private:
  FileBlockDevice(std::string path, int fd, bool is_block_device, bool read_only, std::uint64_t size_blocks,
                  const SyscallTable& syscalls);
  Status check_range(std::uint64_t first, std::uint64_t count, const char* what) const;
  void run_flusher();

  std::string path_;
  int fd_;
  bool is_block_device_;
  bool read_only_;
  std::uint64_t size_blocks_;
  bool partial_block_ = false;  // bytes past the last whole block (never written by us)
  const SyscallTable& syscalls_;

  // start_writeout(): a thread that starts the write-back in the background, so the caller never waits
  // for the disk.
  // An error it meets is kept and returned by every later flush(): Linux reports a failed write-back
  // to one fdatasync only, and a lost write must never look durable.
  std::thread flusher_;
  std::mutex flusher_mutex_;
  std::condition_variable flusher_wake_;
  std::condition_variable flusher_idle_;
  bool flush_wanted_ = false;
  bool background_flushing_ = false;
  bool flusher_exit_ = false;
  std::atomic<int> background_errno_{0};
};

}  // namespace phantom::host::linux_impl
