// Tests for store/image_format: round trips, and that each validation rule rejects a bad field.
#include "store/image_format.h"

#include <gtest/gtest.h>

#include <cstring>
#include <functional>

#include "util/bytes.h"
#include "util/checksum.h"

namespace phantom::store {
namespace {

CommitRecord sample_record() {
  CommitRecord r;
  r.generation = 7;
  r.time_ns = 123;
  r.world_id = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  r.created_ns = 100;
  r.geometry = {0x2000'0000'0000ull, 1ull << 30, tree_depth_for((1ull << 30) / page_bytes)};
  r.image_blocks = 99;
  r.next_seq = 12;
  r.retention = 3;
  r.snapshots = {{9, 8, 1000, {50, 0xabc}, 10, 5, 2}, {11, 9, 2000, {60, 0xdef}, 12, 3, 1}};
  return r;
}

// Re-seals a record block after a test edits a field, so only the field's own check can fail.
void reseal(std::array<std::byte, block_bytes>& block) {
  put_u64(block.data() + block_bytes - 8, checksum64(block.data(), block_bytes - 8, commit_seed));
}

TEST(ImageFormat, TreeGeometry) {
  EXPECT_EQ(tree_depth_for(1), 1u);
  EXPECT_EQ(tree_depth_for(254), 1u);
  EXPECT_EQ(tree_depth_for(255), 2u);
  EXPECT_EQ(tree_depth_for(254 * 254), 2u);
  EXPECT_EQ(tree_depth_for(254 * 254 + 1), 3u);
  EXPECT_EQ(tree_depth_for(262144), 3u);  // 1 GiB
  EXPECT_EQ(nodes_at_level(262144, 0), 1033u);
  EXPECT_EQ(nodes_at_level(262144, 1), 5u);
  EXPECT_EQ(nodes_at_level(262144, 2), 1u);
}

TEST(ImageFormat, CommitRecordRoundTrip) {
  std::array<std::byte, block_bytes> block;
  CommitRecord r = sample_record();
  encode_commit_record(r, block);
  auto decoded = decode_commit_record(block, 1);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded->generation, 7u);
  EXPECT_EQ(decoded->world_id, r.world_id);
  EXPECT_EQ(decoded->geometry, r.geometry);
  EXPECT_EQ(decoded->next_seq, 12u);
  ASSERT_EQ(decoded->snapshots.size(), 2u);
  EXPECT_EQ(decoded->snapshots[1].root, (Ref{60, 0xdef}));
  EXPECT_EQ(decoded->snapshots[0].data_blocks_written, 5u);
  ASSERT_NE(decoded->find(9), nullptr);
  EXPECT_EQ(decoded->find(10), nullptr);
}

// A one-flush commit's record says so in an incompatible bit: a build that would not verify the
// snapshot must refuse the record rather than trust it.
TEST(ImageFormat, CommitRecordCarriesTheVerifyNewestBit) {
  std::array<std::byte, block_bytes> block;
  CommitRecord r = sample_record();
  encode_commit_record(r, block);
  EXPECT_EQ(get_u32(block.data() + 12), 0u);
  EXPECT_FALSE(decode_commit_record(block, 1)->verify_newest);
  r.verify_newest = true;
  encode_commit_record(r, block);
  EXPECT_EQ(get_u32(block.data() + 12), incompat_verify_newest);
  auto decoded = decode_commit_record(block, 1);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_TRUE(decoded->verify_newest);
}

TEST(ImageFormat, CommitRecordRejectsEachBadField) {
  std::array<std::byte, block_bytes> good;
  encode_commit_record(sample_record(), good);
  struct Case {
    const char* name;
    std::function<void(std::array<std::byte, block_bytes>&)> edit;
    bool reseal;
    const char* expect;
  };
  std::vector<Case> cases = {
      {"magic", [](auto& b) { b[0] = std::byte{'X'}; }, true, "bad magic"},
      {"checksum", [](auto& b) { b[200] ^= std::byte{1}; }, false, "checksum mismatch"},
      {"major", [](auto& b) { put_u16(b.data() + 8, 2); }, true, "not supported"},
      {"newer minor", [](auto& b) { put_u16(b.data() + 10, format_minor + 1); }, true, "not supported"},
      {"incompat", [](auto& b) { put_u32(b.data() + 12, 1u << 5); }, true, "incompatible features"},
      {"slot", [](auto& b) { put_u64(b.data() + 24, 8); }, true, "does not belong in this slot"},
      {"page size", [](auto& b) { put_u32(b.data() + 68, 8192); }, true, "4096"},
      {"arena size", [](auto& b) { put_u64(b.data() + 80, 12345); }, true, "arena"},
      {"depth", [](auto& b) { put_u32(b.data() + 88, 1); }, true, "tree depth"},
      {"retention", [](auto& b) { put_u32(b.data() + 112, 0); }, true, "retention"},
      {"count", [](auto& b) { put_u32(b.data() + 116, 1000); }, true, "snapshot count"},
      {"order", [](auto& b) { put_u64(b.data() + 128 + 64, 3); }, true, "out of order"},
      {"root", [](auto& b) { put_u64(b.data() + 128 + 24, 1); }, true, "reserved block"},
  };
  for (const Case& c : cases) {
    auto block = good;
    c.edit(block);
    if (c.reseal) reseal(block);
    auto decoded = decode_commit_record(block, 1);
    ASSERT_FALSE(decoded.ok()) << c.name;
    EXPECT_NE(decoded.error().message.find(c.expect), std::string::npos) << c.name << ": " << decoded.error().message;
  }
}

// The event log head lives in bytes 4032..4055, which no snapshot entry reaches, under a compatible
// feature bit: a record with the bit names it, and its fields are validated like the snapshot roots.
TEST(ImageFormat, CommitRecordCarriesTheEventLogHead) {
  std::array<std::byte, block_bytes> block;
  CommitRecord r = sample_record();
  r.snapshots.clear();
  for (std::uint64_t s = 1; s <= max_snapshots_per_record; ++s) r.snapshots.push_back({s, s - 1, s, {50, s}, 1, 1, 1});
  r.next_seq = max_snapshots_per_record + 1;
  r.event_log = {70, 0x1234'5678'9abc'def0ull};
  r.next_event = 42;
  encode_commit_record(r, block);
  EXPECT_EQ(get_u32(block.data() + 16) & compat_event_log, compat_event_log);
  auto decoded = decode_commit_record(block, 1);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded->event_log, r.event_log);
  EXPECT_EQ(decoded->next_event, 42u);
  ASSERT_EQ(decoded->snapshots.size(), max_snapshots_per_record);  // a full record does not overlap the head
  EXPECT_EQ(decoded->snapshots.back().root, (Ref{50, max_snapshots_per_record}));

  // Without the feature bit (a build before the log) the bytes mean nothing and are ignored.
  auto old = block;
  put_u32(old.data() + 16, 0);
  reseal(old);
  auto without = decode_commit_record(old, 1);
  ASSERT_TRUE(without.ok()) << without.error().message;
  EXPECT_EQ(without->event_log, Ref{});
  EXPECT_EQ(without->next_event, 0u);

  // A build that keeps the bit but not the log writes zeros there: an empty log.
  auto zeroed = block;
  std::memset(zeroed.data() + 4032, 0, 24);
  reseal(zeroed);
  auto empty = decode_commit_record(zeroed, 1);
  ASSERT_TRUE(empty.ok()) << empty.error().message;
  EXPECT_EQ(empty->event_log, Ref{});

  struct Case {
    const char* name;
    std::function<void(std::array<std::byte, block_bytes>&)> edit;
    const char* expect;
  };
  std::vector<Case> cases = {
      {"head in a record slot", [](auto& b) { put_u64(b.data() + 4032, 1); }, "outside the image"},
      {"head past the image", [](auto& b) { put_u64(b.data() + 4032, 99); }, "outside the image"},
      {"empty with a checksum", [](auto& b) { put_u64(b.data() + 4032, 0); }, "non-zero checksum"},
      {"next number", [](auto& b) { put_u64(b.data() + 4048, 1); }, "next event number"},
  };
  for (const Case& c : cases) {
    auto bad = block;
    c.edit(bad);
    reseal(bad);
    auto result = decode_commit_record(bad, 1);
    ASSERT_FALSE(result.ok()) << c.name;
    EXPECT_NE(result.error().message.find(c.expect), std::string::npos) << c.name << ": " << result.error().message;
  }
}

TEST(ImageFormat, NodeRoundTripAndPositionCheck) {
  Node node;
  node.level = 1;
  node.index = 3;
  node.seq = 42;
  node.entries[0] = {77, 0x1234};
  node.entries[253] = {78, 0x5678};
  std::array<std::byte, block_bytes> block;
  std::uint64_t sum = encode_node(node, block);
  auto decoded = decode_node(block, 1, 3, Ref{9, sum});
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded->seq, 42u);
  EXPECT_EQ(decoded->entries[253], (Ref{78, 0x5678}));
  // The same bytes read as another node (misdirected write) or with another expected checksum fail.
  EXPECT_FALSE(decode_node(block, 1, 4, Ref{9, sum}).ok());
  EXPECT_FALSE(decode_node(block, 0, 3, Ref{9, sum}).ok());
  EXPECT_FALSE(decode_node(block, 1, 3, Ref{9, sum + 1}).ok());
  block[1000] ^= std::byte{4};
  auto flipped = decode_node(block, 1, 3, Ref{9, sum});
  ASSERT_FALSE(flipped.ok());
  EXPECT_NE(flipped.error().message.find("block 9"), std::string::npos);
}

TEST(ImageFormat, PageChecksumDependsOnPosition) {
  std::array<std::byte, page_bytes> page{};
  page[10] = std::byte{1};
  EXPECT_NE(page_checksum(page.data(), 1), page_checksum(page.data(), 2));
}

}  // namespace
}  // namespace phantom::store
