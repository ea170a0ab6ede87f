// BlockAllocator: which image blocks are free, and handing out runs of them (store layer).
// The free map is not stored on disk: it is derived from the snapshots that the two commit records
// reach (commit rule 5 in commit.h), so it can never disagree with them after a crash.
// Allocation is next-fit from a cursor, so consecutive allocations form long runs that are written
// with one gather-write each.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace phantom::store {

struct Extent {
  std::uint64_t first;
  std::uint64_t count;
};

class BlockAllocator {
 public:
  explicit BlockAllocator(std::uint64_t capacity);

  std::uint64_t capacity() const { return capacity_; }
  std::uint64_t used() const { return used_; }
  bool is_used(std::uint64_t block) const { return (bits_[block / 64] >> (block % 64)) & 1; }
  void mark_used(std::uint64_t block);
  // Forgets every allocation: all blocks free again (before a rebuild from the live snapshots).
  void clear();
  // Makes blocks [capacity, new_capacity) available.
  void grow(std::uint64_t new_capacity);
  // A run of between 1 and `want` free blocks, now used; nothing when every block is used.
  std::optional<Extent> allocate(std::uint64_t want);

 private:
  std::uint64_t find_free(std::uint64_t from) const;  // capacity_ when none at or after `from`

  std::uint64_t capacity_;
  std::uint64_t used_ = 0;
  std::uint64_t cursor_ = 0;
  std::vector<std::uint64_t> bits_;
};

}  // namespace phantom::store
