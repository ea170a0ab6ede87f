// Tests for store/page_table: dirtiness propagation, writing dirty nodes only, and verified loading.
#include "store/page_table.h"

#include <gtest/gtest.h>

#include <map>

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

}  // namespace
}  // namespace phantom::store
