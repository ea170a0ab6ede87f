// MemoryBlockDevice and CrashSimDevice: block devices for tests (test support).
// MemoryBlockDevice keeps blocks in memory and can fail its Nth write or flush. CrashSimDevice models
// a disk with a volatile write cache (SQLite's test6.c): writes stay pending until flush(); at the
// crash point every pending 512-byte sector is independently kept or lost, which covers lost,
// reordered and torn writes; afterwards every call fails.
#pragma once

#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "host/block_device.h"

namespace phantom::testing {

class MemoryBlockDevice : public host::BlockDevice {
 public:
  explicit MemoryBlockDevice(std::uint64_t blocks = 0, std::string name = "mem.img")
      : name_(std::move(name)), data_(blocks * host::block_size) {}
  explicit MemoryBlockDevice(std::vector<std::byte> data, std::string name = "mem.img")
      : name_(std::move(name)), data_(std::move(data)) {
    data_.resize(data_.size() / host::block_size * host::block_size);
  }

  const std::string& name() const override { return name_; }
  std::uint64_t size_blocks() const override { return data_.size() / host::block_size; }
  Status read(std::uint64_t first, std::span<std::byte> out) override {
    if ((first + out.size() / host::block_size) > size_blocks())
      return make_error(Errc::invalid_argument, "{}: read beyond the end", name_);
    std::memcpy(out.data(), data_.data() + first * host::block_size, out.size());
    return ok_status();
  }
  Status write(std::uint64_t first, std::span<const host::WritePiece> pieces) override {
    ++writes;
    if (fail_write_at && writes == *fail_write_at) return make_error(fail_code, "{}: injected write failure", name_);
    std::uint64_t offset = first * host::block_size;
    for (const auto& p : pieces) {
      if (offset + p.size > data_.size()) return make_error(Errc::invalid_argument, "{}: write beyond the end", name_);
      std::memcpy(data_.data() + offset, p.data, p.size);
      offset += p.size;
    }
    return ok_status();
  }
  Status flush() override {
    ++flushes;
    if (fail_flush_at && flushes == *fail_flush_at) return make_error(fail_code, "{}: injected flush failure", name_);
    return ok_status();
  }
  Status grow(std::uint64_t blocks) override {
    if (max_blocks && blocks > *max_blocks) return make_error(Errc::no_space, "{}: full", name_);
    if (blocks > size_blocks()) data_.resize(blocks * host::block_size);
    return ok_status();
  }

  std::vector<std::byte>& bytes() { return data_; }

  std::uint64_t writes = 0, flushes = 0;
  std::optional<std::uint64_t> fail_write_at, fail_flush_at, max_blocks;
  Errc fail_code = Errc::io;

 private:
  std::string name_;
  std::vector<std::byte> data_;
};

class CrashSimDevice : public host::BlockDevice {
 public:
  // Crashes at the `crash_at`th write-or-flush call (1-based; 0 = never), tearing with `seed`. With
  // whole_writes, each pending write lands whole or not at all (instead of each 512-byte sector), so
  // that a commit record lands as often as not while a block before it is lost.
  CrashSimDevice(std::uint64_t crash_at, std::uint64_t seed, bool whole_writes = false)
      : crash_at_(crash_at), random_(seed), whole_writes_(whole_writes) {}

  const std::string& name() const override { return name_; }
  std::uint64_t size_blocks() const override { return size_blocks_; }
  Status read(std::uint64_t first, std::span<std::byte> out) override {
    if (crashed_) return crashed_error();
    if (first + out.size() / host::block_size > size_blocks_) return make_error(Errc::invalid_argument, "read beyond end");
    // The cache view: durable data overlaid with pending writes in order.
    std::vector<std::byte> view(durable_.begin(), durable_.end());
    view.resize(size_blocks_ * host::block_size);
    for (const auto& w : pending_) std::memcpy(view.data() + w.offset, w.data.data(), w.data.size());
    std::memcpy(out.data(), view.data() + first * host::block_size, out.size());
    return ok_status();
  }
  Status write(std::uint64_t first, std::span<const host::WritePiece> pieces) override {
    if (crashed_ || tick()) return crashed_error();
    std::uint64_t bytes = 0;
    for (const auto& p : pieces) bytes += p.size;
    if (first + bytes / host::block_size > size_blocks_) return make_error(Errc::invalid_argument, "write beyond end");
    std::uint64_t offset = first * host::block_size;
    for (const auto& p : pieces) {
      pending_.push_back({offset, std::vector<std::byte>(p.data, p.data + p.size)});
      offset += p.size;
    }
    return ok_status();
  }
  Status flush() override {
    if (crashed_ || tick()) return crashed_error();
    for (const auto& w : pending_) apply(w.offset, w.data.data(), w.data.size());
    pending_.clear();
    return ok_status();
  }
  Status grow(std::uint64_t blocks) override {
    if (crashed_) return crashed_error();
    size_blocks_ = std::max(size_blocks_, blocks);
    return ok_status();
  }

  bool crashed() const { return crashed_; }
  std::uint64_t operations() const { return operations_; }
  // The image as the disk holds it after the crash (or now, if it never crashed: flushed data only).
  std::vector<std::byte> disk_image() const {
    std::vector<std::byte> image = durable_;
    image.resize(size_blocks_ * host::block_size);
    return image;
  }

 private:
  struct Pending {
    std::uint64_t offset;
    std::vector<std::byte> data;
  };
  static constexpr std::size_t sector = 512;

  Error crashed_error() const { return make_error(Errc::io, "{}: device lost power", name_); }
  void apply(std::uint64_t offset, const std::byte* data, std::size_t size) {
    if (durable_.size() < offset + size) durable_.resize(offset + size);
    std::memcpy(durable_.data() + offset, data, size);
  }
  // Counts an operation; at the crash point each pending sector (or write) survives with probability 1/2.
  bool tick() {
    ++operations_;
    if (crash_at_ == 0 || operations_ != crash_at_) return false;
    std::bernoulli_distribution keep(0.5);
    for (const auto& w : pending_) {
      const std::size_t unit = whole_writes_ ? w.data.size() : sector;
      for (std::size_t s = 0; s < w.data.size(); s += unit)
        if (keep(random_)) apply(w.offset + s, w.data.data() + s, unit);
    }
    pending_.clear();
    crashed_ = true;
    return true;
  }

  std::string name_ = "crashsim.img";
  std::uint64_t crash_at_;
  std::mt19937_64 random_;
  bool whole_writes_;
  std::uint64_t operations_ = 0;
  std::uint64_t size_blocks_ = 0;
  bool crashed_ = false;
  std::vector<std::byte> durable_;
  std::vector<Pending> pending_;
};

}  // namespace phantom::testing

namespace phantom::testing {

// Lends a device to an owner (the Store) while the test keeps it.
class BorrowedDevice final : public host::BlockDevice {
 public:
  explicit BorrowedDevice(host::BlockDevice& device) : device_(device) {}
  static std::unique_ptr<host::BlockDevice> of(host::BlockDevice& device) { return std::make_unique<BorrowedDevice>(device); }
  const std::string& name() const override { return device_.name(); }
  std::uint64_t size_blocks() const override { return device_.size_blocks(); }
  Status read(std::uint64_t first, std::span<std::byte> out) override { return device_.read(first, out); }
  Status write(std::uint64_t first, std::span<const host::WritePiece> pieces) override { return device_.write(first, pieces); }
  Status flush() override { return device_.flush(); }
  Status grow(std::uint64_t blocks) override { return device_.grow(blocks); }

 private:
  host::BlockDevice& device_;
};

}  // namespace phantom::testing
