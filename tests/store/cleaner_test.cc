// Tests for store/cleaner: nothing to do while segments are free; otherwise the sparsest segments'
// pages and nodes are chosen, within the budget.
#include "store/cleaner.h"

#include <gtest/gtest.h>

namespace phantom::store {
namespace {

TEST(Cleaner, PicksTheSparsestSegmentsWithinBudget) {
  PageTable table(2000);
  BlockAllocator allocator(8 * segment_blocks);
  allocator.mark_used(0);
  // Segment 1: 200 live pages; segment 2: 10 live pages; segment 3: 5 live pages and nothing else.
  std::uint64_t page = 0;
  auto place = [&](std::uint64_t segment, std::uint64_t count) {
    for (std::uint64_t i = 0; i < count; ++i, ++page) {
      std::uint64_t block = segment * segment_blocks + i;
      table.set_page(page, {block, 1});
      allocator.mark_used(block);
    }
  };
  place(1, 200);
  place(2, 10);
  place(3, 5);
  // Segments 4..7 are free: with a reserve of 4 nothing needs cleaning.
  EXPECT_TRUE(plan_cleaning(table, allocator, 4, 1000).empty());
  // A reserve of 6 needs two more segments: the two sparsest (3, then 2), 15 pages in all.
  CleaningPlan plan = plan_cleaning(table, allocator, 6, 1000);
  EXPECT_EQ(plan.segments, 2u);
  EXPECT_EQ(plan.pages.size(), 15u);
  for (std::uint64_t p : plan.pages) EXPECT_GE(p, 200u);
  // A budget of 7 blocks affords only segment 3.
  CleaningPlan small = plan_cleaning(table, allocator, 6, 7);
  EXPECT_EQ(small.segments, 1u);
  EXPECT_EQ(small.pages.size(), 5u);
}

}  // namespace
}  // namespace phantom::store
