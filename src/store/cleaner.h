// Cleaner: turns scattered free blocks into whole free segments (store layer).
// Pages that are rewritten at random leave their old blocks free one by one, scattered over the
// image; a log-structured allocator (block_allocator.h) cannot write into such holes in long runs.
// When free segments run short, the cleaner picks the segments that hold the fewest blocks of the
// current snapshot and has the next snapshot copy those pages and nodes forward; once the retained
// older snapshots that still reach the old blocks are dropped, those segments are entirely free.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "store/block_allocator.h"
#include "store/page_table.h"

namespace phantom::store {

struct CleaningPlan {
  std::vector<std::uint64_t> pages;                         // pages to copy forward
  std::vector<std::pair<unsigned, std::uint64_t>> nodes;    // (level, index) of nodes to rewrite
  std::uint64_t segments = 0;                               // segments being emptied
  bool empty() const { return pages.empty() && nodes.empty(); }
};

// Plans cleaning when fewer than `reserve` segments are free: the sparsest segments (by blocks the
// current `table` reaches) first, copying at most about `budget` blocks; segments more than three
// quarters full are left alone.
CleaningPlan plan_cleaning(const PageTable& table, const BlockAllocator& allocator, std::uint64_t reserve,
                           std::uint64_t budget);

}  // namespace phantom::store
