// Block device conformance: the same scenarios against every host::BlockDevice (Genode's
// block_tester idea): the Linux file device, the in-memory device and the crash simulator, plus the
// Linux device's error paths through its syscall table.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <functional>

#include "host/linux/file_block_device.h"
#include "support/memory_block_device.h"

namespace phantom {
namespace {

using DeviceFactory = std::function<std::unique_ptr<host::BlockDevice>()>;

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / (name + "." + std::to_string(::getpid()))).string();
}

class BlockDeviceConformance : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<host::BlockDevice> make() {
    if (GetParam() == "file") {
      path_ = temp_path("phantom-bd-test");
      std::filesystem::remove(path_);
      auto device = host::linux_impl::FileBlockDevice::open(path_, host::OpenMode::create_new);
      EXPECT_TRUE(device.ok());
      return std::move(device).value();
    }
    if (GetParam() == "memory") return std::make_unique<testing::MemoryBlockDevice>();
    return std::make_unique<testing::CrashSimDevice>(0, 1);
  }
  void TearDown() override {
    if (!path_.empty()) std::filesystem::remove(path_);
  }
  std::string path_;
};

TEST_P(BlockDeviceConformance, StartsEmptyAndGrows) {
  auto device = make();
  EXPECT_EQ(device->size_blocks(), 0u);
  ASSERT_TRUE(device->grow(8).ok());
  EXPECT_EQ(device->size_blocks(), 8u);
  ASSERT_TRUE(device->grow(4).ok());  // never shrinks
  EXPECT_EQ(device->size_blocks(), 8u);
}

TEST_P(BlockDeviceConformance, GatherWriteThenReadBack) {
  auto device = make();
  ASSERT_TRUE(device->grow(16).ok());
  std::vector<std::byte> a(host::block_size, std::byte{0xAA}), b(2 * host::block_size, std::byte{0xBB});
  host::WritePiece pieces[] = {{a.data(), a.size()}, {b.data(), b.size()}};
  ASSERT_TRUE(device->write(5, pieces).ok());
  ASSERT_TRUE(device->flush().ok());
  std::vector<std::byte> out(4 * host::block_size);
  ASSERT_TRUE(device->read(4, out).ok());
  EXPECT_EQ(out[0], std::byte{0});
  EXPECT_EQ(out[host::block_size], std::byte{0xAA});
  EXPECT_EQ(out[2 * host::block_size], std::byte{0xBB});
  EXPECT_EQ(out[4 * host::block_size - 1], std::byte{0xBB});
}

TEST_P(BlockDeviceConformance, RejectsAccessBeyondTheEnd) {
  auto device = make();
  ASSERT_TRUE(device->grow(2).ok());
  std::vector<std::byte> out(host::block_size);
  auto read = device->read(2, out);
  EXPECT_FALSE(read.ok());
  host::WritePiece piece{out.data(), out.size()};
  auto write = device->write(3, std::span(&piece, 1));
  EXPECT_FALSE(write.ok());
}

INSTANTIATE_TEST_SUITE_P(AllDevices, BlockDeviceConformance, ::testing::Values("file", "memory", "crashsim"));

// Fault injection through the syscall table (SQLite's aSyscall idea).
int failing_calls = 0;
int fail_with = EIO;
ssize_t failing_pwritev(int fd, const struct iovec* iov, int n, off_t off) {
  if (failing_calls-- <= 0) {
    errno = fail_with;
    return -1;
  }
  return ::pwritev(fd, iov, n, off);
}
int failing_fdatasync(int) {
  errno = fail_with;
  return -1;
}
ssize_t short_pwritev(int fd, const struct iovec* iov, int, off_t off) {
  // Writes at most 100 bytes per call: the device must continue after short writes.
  struct iovec one = iov[0];
  one.iov_len = std::min<size_t>(one.iov_len, 100);
  return ::pwritev(fd, &one, 1, off);
}

TEST(FileBlockDevice, ReportsInjectedWriteAndFlushErrors) {
  std::string path = temp_path("phantom-bd-fault");
  std::filesystem::remove(path);
  host::linux_impl::SyscallTable table = host::linux_impl::real_syscalls();
  table.pwritev = failing_pwritev;
  table.fdatasync = failing_fdatasync;
  auto device = host::linux_impl::FileBlockDevice::open(path, host::OpenMode::create_new, table);
  ASSERT_TRUE(device.ok());
  ASSERT_TRUE((*device)->grow(4).ok());
  std::vector<std::byte> data(host::block_size);
  host::WritePiece piece{data.data(), data.size()};
  failing_calls = 1;
  fail_with = ENOSPC;
  EXPECT_TRUE((*device)->write(0, std::span(&piece, 1)).ok());
  auto second = (*device)->write(1, std::span(&piece, 1));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, Errc::no_space);
  fail_with = EIO;
  auto flush = (*device)->flush();
  ASSERT_FALSE(flush.ok());
  EXPECT_EQ(flush.error().code, Errc::io);
  EXPECT_NE(flush.error().message.find("flush"), std::string::npos);
  std::filesystem::remove(path);
}

std::atomic<int> writeback_calls{0};
int writeback_failing_once(int fd, off_t offset, off_t nbytes, unsigned int flags) {
  if (writeback_calls.fetch_add(1) == 0) {
    errno = EIO;
    return -1;
  }
  return ::sync_file_range(fd, offset, nbytes, flags);
}

// A write-back that start_writeout() started in the background and that failed: every later flush()
// must fail, or a lost write would look durable.
TEST(FileBlockDevice, AFailedBackgroundFlushFailsEveryLaterFlush) {
  std::string path = temp_path("phantom-bd-background");
  std::filesystem::remove(path);
  host::linux_impl::SyscallTable table = host::linux_impl::real_syscalls();
  table.sync_file_range = writeback_failing_once;
  writeback_calls = 0;
  auto device = host::linux_impl::FileBlockDevice::open(path, host::OpenMode::create_new, table);
  ASSERT_TRUE(device.ok());
  ASSERT_TRUE((*device)->grow(4).ok());
  std::vector<std::byte> data(host::block_size, std::byte{1});
  host::WritePiece piece{data.data(), data.size()};
  ASSERT_TRUE((*device)->write(0, std::span(&piece, 1)).ok());
  (*device)->start_writeout();
  for (int i = 0; i < 10000 && writeback_calls.load() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_EQ(writeback_calls.load(), 1) << "the background write-back did not run";
  for (int i = 0; i < 2; ++i) {
    auto flush = (*device)->flush();
    ASSERT_FALSE(flush.ok());
    EXPECT_EQ(flush.error().code, Errc::io);
    EXPECT_NE(flush.error().message.find("in the background"), std::string::npos) << flush.error().message;
  }
  device->reset();  // joins the flusher
  std::filesystem::remove(path);
}

TEST(FileBlockDevice, ContinuesAfterShortWrites) {
  std::string path = temp_path("phantom-bd-short");
  std::filesystem::remove(path);
  host::linux_impl::SyscallTable table = host::linux_impl::real_syscalls();
  table.pwritev = short_pwritev;
  auto device = host::linux_impl::FileBlockDevice::open(path, host::OpenMode::create_new, table);
  ASSERT_TRUE(device.ok());
  ASSERT_TRUE((*device)->grow(4).ok());
  std::vector<std::byte> a(host::block_size), b(host::block_size);
  for (std::size_t i = 0; i < a.size(); ++i) {
    a[i] = std::byte(i * 7);
    b[i] = std::byte(i * 13);
  }
  host::WritePiece pieces[] = {{a.data(), a.size()}, {b.data(), b.size()}};
  ASSERT_TRUE((*device)->write(1, pieces).ok());
  std::vector<std::byte> out(2 * host::block_size);
  ASSERT_TRUE((*device)->read(1, out).ok());
  EXPECT_TRUE(std::equal(a.begin(), a.end(), out.begin()));
  EXPECT_TRUE(std::equal(b.begin(), b.end(), out.begin() + host::block_size));
  std::filesystem::remove(path);
}

TEST(FileBlockDevice, SecondWriterIsRefused) {
  std::string path = temp_path("phantom-bd-lock");
  std::filesystem::remove(path);
  auto first = host::linux_impl::FileBlockDevice::open(path, host::OpenMode::create_new);
  ASSERT_TRUE(first.ok());
  auto second = host::linux_impl::FileBlockDevice::open(path, host::OpenMode::open_existing);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, Errc::busy);
  auto reader = host::linux_impl::FileBlockDevice::open(path, host::OpenMode::read_only);
  EXPECT_TRUE(reader.ok());
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace phantom
