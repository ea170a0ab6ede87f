// Image format: the byte layout of a world image (store layer). The reader's version is
// docs/image-format.md; this header is the source of truth and the two must agree.
// Owns: encoding and decoding of commit records and tree nodes, the geometry of the page tree, and
// the checksum seeds. All integers little-endian, all fields at fixed offsets (util/bytes.h).
//
// The image is a sequence of 4096-byte blocks:
//   block 0, 1   commit record slots A and B; generation g lives in slot g % 2
//   block 2..    data pages and tree nodes, allocated copy-on-write (never overwritten while any commit
//                record in either slot can reach them)
//
// Commit record (one block):
//   OFFSET SIZE DESCRIPTION
//        0    8 magic "PHWORLD\0"
//        8    2 format major version (an unknown major is refused)
//       10    2 format minor version (a newer minor is refused, an older one read)
//       12    4 incompatible feature bits (any unknown bit: refuse)
//       16    4 compatible feature bits (unknown bits ignored)
//       20    4 record size, 4096
//       24    8 generation: +1 for every commit record written
//       32    8 commit time, ns since the Unix epoch
//       40   16 world id (random at creation; both slots must agree)
//       56    8 creation time, ns since the Unix epoch
//       64    4 block size, 4096
//       68    4 page size, 4096
//       72    8 arena base address (the world must be mapped exactly here)
//       80    8 arena size in bytes
//       88    4 tree depth (levels of nodes)
//       92    4 node fanout, 254
//       96    8 image size in blocks when this record was written
//      104    8 next snapshot sequence number (sequence numbers are never reused)
//      112    4 retention: how many snapshots a new commit keeps
//      116    4 snapshot count n (<= max_snapshots_per_record)
//      120    8 reserved, 0
//      128 64*n snapshot entries, oldest first (layout below); at most 61, so they end by 4032
//     4032    8 event log head block (0: the log is empty)            } only with the compatible
//     4040    8 event log head checksum (0 when the block is 0)       } feature compat_event_log;
//     4048    8 number the next event gets (0: not known)             } without it, ignored
//     4056   32 reserved, 0
//     4088    8 checksum64 of bytes 0..4087, seed commit_seed
//
// Event log blocks (one or more, linked newest to oldest from the head): event_log.h.
//
// Snapshot entry (64 bytes):
//        0    8 sequence number
//        8    8 parent sequence number (0: none)
//       16    8 snapshot time, ns since the Unix epoch
//       24    8 root node block (0: every page is zero)
//       32    8 root node checksum
//       40    8 pages in use (pages with a data block)
//       48    8 data blocks written by this snapshot
//       56    8 node blocks written by this snapshot
//
// Tree node (one block), a level of a radix tree over page numbers; level 0 entries are pages:
//        0    4 magic "PNOD"
//        4    1 level (0 = leaf)
//        5    1 reserved, 0
//        6    2 fanout, 254
//        8    8 sequence number of the snapshot that wrote the node
//       16    8 index of the node within its level
//       24    8 checksum64 of the block with this field zero, seed node_seed(level, index)
//       32 16*254 entries {block u64, checksum u64}; block 0 means "all zero" and its checksum is 0.
//             In a leaf, entry i is page index*254+i, checksum64(page, 4096, page_seed(page)).
//             In a node of level L > 0, entry i is child node index*254+i of level L-1.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "util/result.h"

namespace phantom::store {

constexpr std::size_t block_bytes = 4096;
constexpr std::size_t page_bytes = 4096;
constexpr std::uint16_t format_major = 1;
constexpr std::uint16_t format_minor = 0;
// Incompatible feature: the record was written without the flush of commit rule 2 (a one-flush
// commit, store.h), so the blocks its newest snapshot wrote since the other slot's newest snapshot
// may not all have landed. Open verifies them before it uses that snapshot and skips it when any
// does not match (Store::verify_newest_changes). A build that does not know the bit would trust the
// snapshot unverified, so it must refuse the record.
constexpr std::uint32_t incompat_verify_newest = 1u << 0;
constexpr std::uint32_t known_incompat_features = incompat_verify_newest;
// Compatible feature: the record carries an event log (event_log.h). A build that does not know it
// still opens the world; it writes records without the log (its head field zero), which drops the log
// harmlessly: its blocks are then reached by no record and become free.
constexpr std::uint32_t compat_event_log = 1u << 0;
constexpr std::uint64_t commit_slots = 2;
constexpr std::uint64_t first_data_block = 2;
constexpr std::uint32_t node_fanout = 254;
constexpr std::size_t node_header_bytes = 32;
constexpr std::size_t snapshot_entry_bytes = 64;
constexpr std::size_t snapshot_entries_offset = 128;
constexpr std::size_t max_snapshots_per_record = (block_bytes - 8 - snapshot_entries_offset) / snapshot_entry_bytes;
constexpr std::size_t event_log_head_offset = 4032;  // after the last possible snapshot entry
static_assert(snapshot_entries_offset + max_snapshots_per_record * snapshot_entry_bytes <= event_log_head_offset);
constexpr std::uint32_t max_retention = 32;
// The largest arena a world may have. Bounds what a hostile image can make us allocate, and the page
// tables that whole-range write-protection costs (about 2 MiB per GiB).
constexpr std::uint64_t max_arena_size = 64ull << 30;

constexpr std::uint64_t commit_seed = 0x5048'574F'524C'4401ull;
constexpr std::uint64_t page_seed_base = 0x5048'5041'4745'0001ull;
constexpr std::uint64_t node_seed_base = 0x5048'4E4F'4445'0001ull;
constexpr std::uint64_t log_seed_base = 0x5048'4556'4C4F'4701ull;
inline std::uint64_t page_seed(std::uint64_t page) { return page_seed_base ^ page; }
inline std::uint64_t node_seed(unsigned level, std::uint64_t index) {
  return node_seed_base ^ (std::uint64_t(level) << 56) ^ index;
}
// An event-log block is bound to the block it lives in: log blocks are never moved.
inline std::uint64_t log_seed(std::uint64_t block) { return log_seed_base ^ block; }

// Where a page or node lives and what its checksum must be. block 0: absent, contents all zero.
struct Ref {
  std::uint64_t block = 0;
  std::uint64_t checksum = 0;
  bool operator==(const Ref&) const = default;
};

struct SnapshotEntry {
  std::uint64_t seq = 0;
  std::uint64_t parent_seq = 0;
  std::uint64_t time_ns = 0;
  Ref root;
  std::uint64_t pages_in_use = 0;
  std::uint64_t data_blocks_written = 0;
  std::uint64_t node_blocks_written = 0;
};

struct WorldGeometry {
  std::uint64_t arena_base = 0;
  std::uint64_t arena_size = 0;
  std::uint32_t tree_depth = 0;
  std::uint64_t pages() const { return arena_size / page_bytes; }
  bool operator==(const WorldGeometry&) const = default;
};

// Tree depth needed for `pages` pages: the fewest levels of 254-way nodes that cover them.
std::uint32_t tree_depth_for(std::uint64_t pages);
// Number of nodes at `level` in a tree over `pages` pages.
std::uint64_t nodes_at_level(std::uint64_t pages, unsigned level);

struct CommitRecord {
  std::uint16_t minor = format_minor;
  std::uint32_t compat_features = 0;
  bool verify_newest = false;  // incompat_verify_newest: set only by a one-flush commit
  std::uint64_t generation = 0;
  std::uint64_t time_ns = 0;
  std::array<std::uint8_t, 16> world_id{};
  std::uint64_t created_ns = 0;
  WorldGeometry geometry;
  std::uint64_t image_blocks = 0;
  std::uint64_t next_seq = 1;
  std::uint32_t retention = 3;
  std::vector<SnapshotEntry> snapshots;  // oldest first
  // The event log (compat_event_log; this build always writes the feature bit). A record read without
  // the bit has an empty log and next_event 0.
  Ref event_log;                 // the newest log block (block 0: the log is empty)
  std::uint64_t next_event = 0;  // the number the next event gets; 0: not known (numbering starts at 1)

  const SnapshotEntry* find(std::uint64_t seq) const;
};

void encode_commit_record(const CommitRecord& record, std::span<std::byte, block_bytes> out);
// Whether a block starts with the commit-record magic (a Phantom world, intact or not).
bool has_commit_magic(std::span<const std::byte, block_bytes> in);
// Decodes and validates a commit record read from `slot`; the message names what is wrong.
Result<CommitRecord> decode_commit_record(std::span<const std::byte, block_bytes> in, std::uint64_t slot);

// A decoded tree node.
struct Node {
  unsigned level = 0;
  std::uint64_t index = 0;
  std::uint64_t seq = 0;
  std::array<Ref, node_fanout> entries{};
};

// Encodes `node` and returns its checksum (also stored inside the block).
std::uint64_t encode_node(const Node& node, std::span<std::byte, block_bytes> out);
// Decodes a node that `ref` points to at (level, index), checking magic, position and checksum.
Result<Node> decode_node(std::span<const std::byte, block_bytes> in, unsigned level, std::uint64_t index,
                         const Ref& ref);

std::uint64_t page_checksum(const std::byte* page, std::uint64_t page_index);

std::string format_world_id(const std::array<std::uint8_t, 16>& id);

}  // namespace phantom::store
