// BlockAllocator: which image blocks are free, and handing out runs of them (store layer).
// The free map is not stored on disk: it is derived from the snapshots that the two commit records
// reach (commit rule 5 in store.h), so it can never disagree with them after a crash.
//
// Allocation is log-structured: the image is divided into 1 MiB segments, and blocks are handed out
// sequentially from one *open* segment that was entirely free when it was opened. A snapshot's
// writes are therefore long runs (one gather-write per segment) however scattered the freed blocks
// are. Scattered free blocks are made into whole free segments by the cleaner (cleaner.h), which
// copies the live pages of sparsely used segments forward.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace phantom::store {

constexpr std::uint64_t segment_blocks = 256;  // 1 MiB

struct Extent {
  std::uint64_t first;
  std::uint64_t count;
};

class BlockAllocator {
 public:
  // Blocks [0, reserved) are never handed out (the commit slots); segment 0 still counts as free
  // when nothing else in it is used, so a small world stays small.
  explicit BlockAllocator(std::uint64_t capacity, std::uint64_t reserved = 0);

  std::uint64_t capacity() const { return capacity_; }
  std::uint64_t used() const { return used_; }
  bool is_used(std::uint64_t block) const { return (bits_[block / 64] >> (block % 64)) & 1; }
  void mark_used(std::uint64_t block);
  // Frees one block (no snapshot that either commit slot reaches uses it any more).
  void mark_free(std::uint64_t block);
  // Forgets every allocation: all blocks free again (before a rebuild from the live snapshots). The
  // open segment stays open, so a rebuild does not scatter the next snapshot's writes.
  void clear();
  // Makes blocks [capacity, new_capacity) available.
  void grow(std::uint64_t new_capacity);
  // A run of between 1 and `want` blocks from the open segment (opening the next entirely free
  // segment when it is used up); nothing when no segment is entirely free.
  std::optional<Extent> allocate(std::uint64_t want);

  std::uint64_t segments() const { return (capacity_ + segment_blocks - 1) / segment_blocks; }
  std::uint64_t used_in_segment(std::uint64_t segment) const { return segment_used_[segment]; }
  std::uint64_t free_segments() const;
  std::optional<std::uint64_t> open_segment() const { return open_; }

 private:
  std::uint64_t segment_size(std::uint64_t segment) const;
  // Nothing but reserved blocks used, and at least one block left to hand out.
  bool segment_free(std::uint64_t segment) const {
    std::uint64_t base = segment == 0 ? std::min(reserved_, capacity_) : 0;
    return segment_used_[segment] == base && base < segment_size(segment);
  }
  bool open_next_free_segment();
  void reserve();  // marks the reserved blocks within capacity as used

  std::uint64_t capacity_;
  std::uint64_t reserved_;
  std::uint64_t used_ = 0;
  std::vector<std::uint64_t> bits_;
  std::vector<std::uint32_t> segment_used_;
  std::optional<std::uint64_t> open_;  // the segment being filled
  std::uint64_t cursor_ = 0;           // next block to try in the open segment
};

}  // namespace phantom::store
