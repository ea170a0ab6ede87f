// Tests for store/block_allocator: sequential allocation inside an entirely free open segment,
// skipping partly used segments, keeping the open segment across a rebuild, and growth.
#include "store/block_allocator.h"

#include <gtest/gtest.h>

namespace phantom::store {
namespace {

TEST(BlockAllocator, ReservedBlocksLeaveSegmentZeroUsable) {
  BlockAllocator a(2 * segment_blocks, 2);  // blocks 0 and 1 hold the commit slots
  EXPECT_EQ(a.used(), 2u);
  auto first = a.allocate(10);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->first, 2u) << "a small world starts right after the commit slots";
  a.clear();
  EXPECT_TRUE(a.is_used(0) && a.is_used(1)) << "clear() keeps the reservation";
  // An allocator that starts empty (as the store's does) reserves the blocks once it grows over them.
  BlockAllocator empty(0, 2);
  empty.grow(segment_blocks);
  auto run = empty.allocate(1);
  ASSERT_TRUE(run);
  EXPECT_EQ(run->first, 2u) << "a commit slot must never be handed out";
}

TEST(BlockAllocator, FillsOneFreeSegmentSequentially) {
  BlockAllocator a(4 * segment_blocks);
  a.mark_used(0);  // a used block makes segment 0 partly used
  a.mark_used(1);
  auto first = a.allocate(100);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->first, segment_blocks) << "a partly used segment is not written into";
  EXPECT_EQ(first->count, 100u);
  auto second = a.allocate(1000);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->first, segment_blocks + 100);
  EXPECT_EQ(second->count, segment_blocks - 100) << "a run ends at the end of the open segment";
  auto third = a.allocate(10);
  ASSERT_TRUE(third);
  EXPECT_EQ(third->first, 2 * segment_blocks);
  EXPECT_EQ(a.used(), 2 + segment_blocks + 10);
  EXPECT_EQ(a.free_segments(), 1u);  // segment 3; segment 2 is open
}

TEST(BlockAllocator, SkipsPartlyUsedSegmentsAndReportsFull) {
  BlockAllocator a(3 * segment_blocks);
  a.mark_used(0);
  a.mark_used(2 * segment_blocks + 7);  // one live block keeps segment 2 from being reused
  auto run = a.allocate(2 * segment_blocks);
  ASSERT_TRUE(run);
  EXPECT_EQ(run->first, segment_blocks);
  EXPECT_EQ(run->count, segment_blocks);
  EXPECT_FALSE(a.allocate(1)) << "no entirely free segment is left";
  a.grow(4 * segment_blocks);
  auto grown = a.allocate(5);
  ASSERT_TRUE(grown);
  EXPECT_EQ(grown->first, 3 * segment_blocks);
}

TEST(BlockAllocator, OpenSegmentSurvivesARebuild) {
  BlockAllocator a(3 * segment_blocks);
  a.mark_used(0);
  auto first = a.allocate(10);
  ASSERT_TRUE(first);
  // A rebuild marks what is still reachable: here, the blocks just written.
  a.clear();
  a.mark_used(0);
  for (std::uint64_t b = first->first; b < first->first + first->count; ++b) a.mark_used(b);
  auto next = a.allocate(5);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->first, first->first + 10) << "writing continues where it stopped";
  EXPECT_EQ(a.used_in_segment(1), 15u);
}

}  // namespace
}  // namespace phantom::store
