// BlockAllocator: a bitmap with a next-fit cursor (store layer).
#include "store/block_allocator.h"

#include <bit>
#include <cassert>

namespace phantom::store {

BlockAllocator::BlockAllocator(std::uint64_t capacity) : capacity_(capacity), bits_((capacity + 63) / 64, 0) {}

void BlockAllocator::mark_used(std::uint64_t block) {
  assert(block < capacity_ && "block beyond the allocator's capacity");
  std::uint64_t& word = bits_[block / 64];
  std::uint64_t bit = 1ull << (block % 64);
  if (!(word & bit)) {
    word |= bit;
    ++used_;
  }
}

void BlockAllocator::clear() {
  std::fill(bits_.begin(), bits_.end(), 0);
  used_ = 0;
}

void BlockAllocator::grow(std::uint64_t new_capacity) {
  if (new_capacity <= capacity_) return;
  bits_.resize((new_capacity + 63) / 64, 0);
  capacity_ = new_capacity;
}

std::uint64_t BlockAllocator::find_free(std::uint64_t from) const {
  for (std::uint64_t word = from / 64; word < bits_.size(); ++word) {
    std::uint64_t free_bits = ~bits_[word];
    if (word == from / 64) free_bits &= ~0ull << (from % 64);
    if (free_bits == 0) continue;
    std::uint64_t block = word * 64 + static_cast<std::uint64_t>(std::countr_zero(free_bits));
    return block < capacity_ ? block : capacity_;
  }
  return capacity_;
}

std::optional<Extent> BlockAllocator::allocate(std::uint64_t want) {
  assert(want > 0);
  std::uint64_t first = find_free(cursor_);
  if (first == capacity_) first = find_free(0);
  if (first == capacity_) return std::nullopt;
  std::uint64_t count = 0;
  while (count < want && first + count < capacity_ && !is_used(first + count)) {
    mark_used(first + count);
    ++count;
  }
  cursor_ = first + count;
  return Extent{first, count};
}

}  // namespace phantom::store
