// Tests for store/block_allocator: runs, next-fit order, reuse and growth.
#include "store/block_allocator.h"

#include <gtest/gtest.h>

namespace phantom::store {
namespace {

TEST(BlockAllocator, HandsOutRunsAndSkipsUsedBlocks) {
  BlockAllocator a(100);
  a.mark_used(0);
  a.mark_used(1);
  a.mark_used(10);
  auto first = a.allocate(20);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->first, 2u);
  EXPECT_EQ(first->count, 8u);  // stops at the used block 10
  auto second = a.allocate(5);
  ASSERT_TRUE(second);
  EXPECT_EQ(second->first, 11u);
  EXPECT_EQ(a.used(), 3u + 8u + 5u);
}

TEST(BlockAllocator, WrapsAroundAndReportsFull) {
  BlockAllocator a(130);
  auto all = a.allocate(1000);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->count, 130u);
  EXPECT_FALSE(a.allocate(1));
  a.clear();
  a.mark_used(64);
  auto again = a.allocate(200);  // after clear() the cursor wraps to the start
  ASSERT_TRUE(again);
  EXPECT_EQ(again->first, 0u);
  EXPECT_EQ(again->count, 64u);
  a.grow(200);
  auto grown = a.allocate(500);
  ASSERT_TRUE(grown);
  EXPECT_EQ(grown->first, 65u);
  EXPECT_EQ(grown->count, 135u);
}

}  // namespace
}  // namespace phantom::store
