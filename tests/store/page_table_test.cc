// Tests for store/page_table: dirtiness propagation, writing dirty nodes only, and verified loading.
#include "store/page_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <vector>

#include "store/image.h"
#include "support/memory_block_device.h"

namespace phantom::store {
namespace {

// Writes nodes to consecutive blocks of a memory device, as the store would.
struct NodeSink {
  testing::MemoryBlockDevice& device;
  std::uint64_t next_block = first_data_block;
  int written = 0;
  Result<Ref> operator()(const Node& node) {
    std::array<std::byte, block_bytes> block;
    std::uint64_t sum = encode_node(node, block);
    std::uint64_t at = next_block++;
    PHANTOM_TRY(device.grow(at + 1));
    host::WritePiece piece{block.data(), block.size()};
    PHANTOM_TRY(device.write(at, std::span(&piece, 1)));
    ++written;
    return Ref{at, sum};
  }
};

TEST(PageTable, WritesOnlyDirtyPathsAndLoadsBack) {
  const std::uint64_t pages = 254 * 254 + 10;  // depth 3
  PageTable table(pages);
  EXPECT_EQ(table.depth(), 3u);
  EXPECT_FALSE(table.dirty());
  table.set_page(5, {1000, 11});
  table.set_page(pages - 1, {1001, 12});
  EXPECT_EQ(table.pages_in_use(), 2u);
  EXPECT_EQ(table.dirty_nodes(), 5u);  // two leaves, two level-1 nodes and the root
  testing::MemoryBlockDevice device(2000);  // covers the page blocks 1000..1002 the refs name
  NodeSink sink{device};
  ASSERT_TRUE(table.write_dirty_nodes(1, std::ref(sink)).ok());
  EXPECT_FALSE(table.dirty());
  EXPECT_EQ(sink.written, 5);  // 2 leaves + 2 level-1 nodes + 1 root
  Image image(device);
  auto loaded = PageTable::load(image, pages, table.root());
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->page(5), (Ref{1000, 11}));
  EXPECT_EQ(loaded->page(pages - 1), (Ref{1001, 12}));
  EXPECT_EQ(loaded->page(6), Ref{});
  EXPECT_EQ(loaded->pages_in_use(), 2u);

  // Changing one page rewrites exactly its path.
  table.set_page(6, {1002, 13});
  sink.written = 0;
  ASSERT_TRUE(table.write_dirty_nodes(2, std::ref(sink)).ok());
  EXPECT_EQ(sink.written, 3);
  // Clearing the only page of a subtree removes that subtree's nodes.
  table.set_page(pages - 1, {});
  sink.written = 0;
  ASSERT_TRUE(table.write_dirty_nodes(3, std::ref(sink)).ok());
  EXPECT_EQ(sink.written, 1);  // only the root; the emptied leaf and its parent are dropped
  EXPECT_EQ(table.node_ref(0, (pages - 1) / node_fanout), Ref{});
}

TEST(PageTable, LoadRejectsDamagedNodes) {
  PageTable table(600);
  table.set_page(300, {500, 1});
  testing::MemoryBlockDevice device(first_data_block);
  NodeSink sink{device};
  ASSERT_TRUE(table.write_dirty_nodes(1, std::ref(sink)).ok());
  Image image(device);
  device.bytes()[first_data_block * block_bytes + 100] ^= std::byte{1};  // the first node written: a leaf
  auto loaded = PageTable::load(image, 600, table.root());
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().code, Errc::corrupt);
  EXPECT_NE(loaded.error().message.find("checksum"), std::string::npos);
}

TEST(PageTable, LoadRejectsEntriesOutsideTheImage) {
  PageTable table(10);
  table.set_page(1, {1u << 20, 1});  // far beyond the device
  testing::MemoryBlockDevice device(first_data_block);
  NodeSink sink{device};
  ASSERT_TRUE(table.write_dirty_nodes(1, std::ref(sink)).ok());
  Image image(device);
  auto loaded = PageTable::load(image, 10, table.root());
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find("outside the image"), std::string::npos);
}

// A copy shares its leaf chunks with the original until one of them changes a page (the lazy restore
// and the free map keep copies of the live table): a change on either side is never seen by the other.
TEST(PageTable, ACopyAndItsOriginalChangeIndependently) {
  const std::uint64_t pages = 254 * 3;
  PageTable table(pages);
  for (std::uint64_t p = 0; p < pages; p += 7) table.set_page(p, {100 + p, p + 1});
  testing::MemoryBlockDevice device(7000);  // covers the page blocks the refs name
  NodeSink sink{device};
  ASSERT_TRUE(table.write_dirty_nodes(1, std::ref(sink)).ok());
  const Ref root_before = table.root();

  PageTable copy(table);
  table.set_page(7, {5000, 1});     // the original changes a shared leaf
  copy.set_page(259, {6000, 2});      // the copy changes another one
  copy.set_page(14, {});              // and empties a page of the leaf the original changed
  EXPECT_EQ(table.page(7), (Ref{5000, 1}));
  EXPECT_EQ(copy.page(7), (Ref{107, 8}));
  EXPECT_EQ(table.page(259), (Ref{359, 260}));
  EXPECT_EQ(copy.page(259), (Ref{6000, 2}));
  EXPECT_EQ(table.page(14), (Ref{114, 15}));
  EXPECT_EQ(copy.page(14), Ref{});
  EXPECT_EQ(copy.pages_in_use(), table.pages_in_use() - 1);

  // Writing one side's nodes leaves the other's tree as it was.
  ASSERT_TRUE(copy.write_dirty_nodes(2, std::ref(sink)).ok());
  EXPECT_NE(copy.root(), root_before);
  EXPECT_TRUE(table.dirty());
  std::vector<std::uint64_t> blocks;
  table.collect_blocks(blocks);
  EXPECT_NE(std::find(blocks.begin(), blocks.end(), 5000u), blocks.end());
  EXPECT_EQ(std::find(blocks.begin(), blocks.end(), 6000u), blocks.end());
}

// A level's nodes are read in runs of consecutive blocks: nodes written apart, and out of index order,
// load back exactly, and damage in the middle of a run is still found.
TEST(PageTable, LoadReadsRunsOfNodesAndFindsDamageInside) {
  const std::uint64_t pages = 254 * 40;
  PageTable table(pages);
  for (std::uint64_t leaf = 0; leaf < 40; ++leaf) table.set_page(leaf * 254 + leaf, {3000 + leaf, leaf + 1});
  testing::MemoryBlockDevice device(5000);  // covers the page blocks the refs name
  NodeSink sink{device};
  ASSERT_TRUE(table.write_dirty_nodes(1, std::ref(sink)).ok());
  // Rewrite every third leaf elsewhere, so that the leaves lie in several runs with gaps between.
  for (std::uint64_t leaf = 0; leaf < 40; leaf += 3) table.set_page(leaf * 254 + 1, {4000 + leaf, 7});
  sink.next_block += 5;
  ASSERT_TRUE(table.write_dirty_nodes(2, std::ref(sink)).ok());
  Image image(device);
  auto loaded = PageTable::load(image, pages, table.root());
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  for (std::uint64_t p = 0; p < pages; ++p) ASSERT_EQ(loaded->page(p), table.page(p)) << p;
  EXPECT_EQ(loaded->pages_in_use(), table.pages_in_use());

  const Ref leaf20 = table.node_ref(0, 20);  // not rewritten: inside the first run
  device.bytes()[leaf20.block * block_bytes + 200] ^= std::byte{1};
  auto damaged = PageTable::load(image, pages, table.root());
  ASSERT_FALSE(damaged.ok());
  EXPECT_EQ(damaged.error().code, Errc::corrupt);
  EXPECT_NE(damaged.error().message.find("checksum"), std::string::npos) << damaged.error().message;
}

}  // namespace
}  // namespace phantom::store
