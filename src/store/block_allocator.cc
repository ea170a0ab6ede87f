// BlockAllocator: a bitmap with per-segment counts and a sequential open segment (store layer).
#include "store/block_allocator.h"

#include <algorithm>
#include <cassert>

namespace phantom::store {

BlockAllocator::BlockAllocator(std::uint64_t capacity, std::uint64_t reserved)
    : capacity_(capacity), reserved_(reserved), bits_((capacity + 63) / 64, 0), segment_used_(segments(), 0) {
  reserve();
}

void BlockAllocator::reserve() {
  for (std::uint64_t b = 0; b < std::min(reserved_, capacity_); ++b) mark_used(b);
}

std::uint64_t BlockAllocator::segment_size(std::uint64_t segment) const {
  return std::min(segment_blocks, capacity_ - segment * segment_blocks);
}

void BlockAllocator::mark_used(std::uint64_t block) {
  assert(block < capacity_ && "block beyond the allocator's capacity");
  std::uint64_t& word = bits_[block / 64];
  std::uint64_t bit = 1ull << (block % 64);
  if (!(word & bit)) {
    word |= bit;
    ++used_;
    ++segment_used_[block / segment_blocks];
  }
}

void BlockAllocator::mark_free(std::uint64_t block) {
  assert(block < capacity_ && block >= reserved_ && "freeing a block beyond the capacity or a commit slot");
  std::uint64_t& word = bits_[block / 64];
  std::uint64_t bit = 1ull << (block % 64);
  if (word & bit) {
    word &= ~bit;
    --used_;
    --segment_used_[block / segment_blocks];
  }
}

void BlockAllocator::clear() {
  std::fill(bits_.begin(), bits_.end(), 0);
  std::fill(segment_used_.begin(), segment_used_.end(), 0);
  used_ = 0;
  reserve();
}

void BlockAllocator::grow(std::uint64_t new_capacity) {
  if (new_capacity <= capacity_) return;
  capacity_ = new_capacity;
  bits_.resize((new_capacity + 63) / 64, 0);
  segment_used_.resize(segments(), 0);
  reserve();  // reserved blocks that were beyond the old capacity
}

std::uint64_t BlockAllocator::free_segments() const {
  std::uint64_t n = 0;
  for (std::uint64_t s = 0; s < segments(); ++s) n += segment_free(s) && s != open_;
  return n;
}

bool BlockAllocator::open_next_free_segment() {
  std::uint64_t start = open_ ? *open_ + 1 : 0;
  for (std::uint64_t i = 0; i < segments(); ++i) {
    std::uint64_t s = (start + i) % segments();
    if (segment_free(s)) {
      open_ = s;
      cursor_ = s * segment_blocks;
      return true;
    }
  }
  return false;
}

std::optional<Extent> BlockAllocator::allocate(std::uint64_t want) {
  assert(want > 0);
  for (;;) {
    if (open_ && *open_ < segments()) {
      // Within the open segment: the next run of free blocks after the cursor. Blocks of the open
      // segment only become used through this function, so the run is normally the rest of it.
      std::uint64_t end = *open_ * segment_blocks + segment_size(*open_);
      while (cursor_ < end && is_used(cursor_)) ++cursor_;
      if (cursor_ < end) {
        std::uint64_t first = cursor_, count = 0;
        while (count < want && cursor_ < end && !is_used(cursor_)) {
          mark_used(cursor_++);
          ++count;
        }
        return Extent{first, count};
      }
    }
    if (!open_next_free_segment()) return std::nullopt;
  }
}

}  // namespace phantom::store
