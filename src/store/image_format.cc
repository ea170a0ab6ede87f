// Image format: encoding and validation of commit records and tree nodes (store layer).
// Layout tables: image_format.h. Decoders treat their input as hostile: every field is range-checked
// before it is used, and every failure says which field of which block is wrong.
#include "store/image_format.h"

#include <cstring>

#include "util/bytes.h"
#include "util/checksum.h"

namespace phantom::store {
namespace {

constexpr char commit_magic[8] = {'P', 'H', 'W', 'O', 'R', 'L', 'D', '\0'};
constexpr std::uint32_t node_magic = 0x444F4E50;  // "PNOD" little-endian

}  // namespace

std::uint32_t tree_depth_for(std::uint64_t pages) {
  std::uint32_t depth = 1;
  for (std::uint64_t covered = node_fanout; covered < pages; covered *= node_fanout) ++depth;
  return depth;
}

std::uint64_t nodes_at_level(std::uint64_t pages, unsigned level) {
  std::uint64_t n = pages;
  for (unsigned l = 0; l <= level; ++l) n = (n + node_fanout - 1) / node_fanout;
  return n == 0 ? 1 : n;
}

const SnapshotEntry* CommitRecord::find(std::uint64_t seq) const {
  for (const SnapshotEntry& s : snapshots)
    if (s.seq == seq) return &s;
  return nullptr;
}

bool has_commit_magic(std::span<const std::byte, block_bytes> in) {
  return std::memcmp(in.data(), commit_magic, sizeof commit_magic) == 0;
}

void encode_commit_record(const CommitRecord& r, std::span<std::byte, block_bytes> out) {
  std::memset(out.data(), 0, block_bytes);
  std::byte* p = out.data();
  std::memcpy(p, commit_magic, 8);
  put_u16(p + 8, format_major);
  put_u16(p + 10, r.minor);
  put_u32(p + 12, r.verify_newest ? incompat_verify_newest : 0);
  put_u32(p + 16, r.compat_features | compat_event_log);
  put_u32(p + 20, block_bytes);
  put_u64(p + 24, r.generation);
  put_u64(p + 32, r.time_ns);
  std::memcpy(p + 40, r.world_id.data(), 16);
  put_u64(p + 56, r.created_ns);
  put_u32(p + 64, block_bytes);
  put_u32(p + 68, page_bytes);
  put_u64(p + 72, r.geometry.arena_base);
  put_u64(p + 80, r.geometry.arena_size);
  put_u32(p + 88, r.geometry.tree_depth);
  put_u32(p + 92, node_fanout);
  put_u64(p + 96, r.image_blocks);
  put_u64(p + 104, r.next_seq);
  put_u32(p + 112, r.retention);
  put_u32(p + 116, static_cast<std::uint32_t>(r.snapshots.size()));
  std::byte* e = p + snapshot_entries_offset;
  for (const SnapshotEntry& s : r.snapshots) {
    put_u64(e + 0, s.seq);
    put_u64(e + 8, s.parent_seq);
    put_u64(e + 16, s.time_ns);
    put_u64(e + 24, s.root.block);
    put_u64(e + 32, s.root.checksum);
    put_u64(e + 40, s.pages_in_use);
    put_u64(e + 48, s.data_blocks_written);
    put_u64(e + 56, s.node_blocks_written);
    e += snapshot_entry_bytes;
  }
  put_u64(p + event_log_head_offset, r.event_log.block);
  put_u64(p + event_log_head_offset + 8, r.event_log.checksum);
  put_u64(p + event_log_head_offset + 16, r.next_event);
  put_u64(p + block_bytes - 8, checksum64(p, block_bytes - 8, commit_seed));
}

Result<CommitRecord> decode_commit_record(std::span<const std::byte, block_bytes> in, std::uint64_t slot) {
  const std::byte* p = in.data();
  auto bad = [&](std::string what) { return make_error(Errc::corrupt, "commit record {}: {}", slot, what); };
  if (!has_commit_magic(in)) return bad("not a Phantom world (bad magic)");
  std::uint64_t stored = get_u64(p + block_bytes - 8);
  std::uint64_t computed = checksum64(p, block_bytes - 8, commit_seed);
  if (stored != computed) return bad(fmt::format("checksum mismatch (stored {:#018x}, computed {:#018x})", stored, computed));
  std::uint16_t major = get_u16(p + 8);
  CommitRecord r;
  r.minor = get_u16(p + 10);
  if (major != format_major || r.minor > format_minor)
    return make_error(Errc::unsupported, "commit record {}: image format {}.{} is not supported by this build (reads {}.0 to {}.{})",
                      slot, major, r.minor, format_major, format_major, format_minor);
  std::uint32_t incompat = get_u32(p + 12);
  if (incompat & ~known_incompat_features)
    return make_error(Errc::unsupported, "commit record {}: unknown incompatible features {:#x}", slot, incompat);
  r.verify_newest = (incompat & incompat_verify_newest) != 0;
  r.compat_features = get_u32(p + 16);
  if (get_u32(p + 20) != block_bytes) return bad("record size is not 4096");
  r.generation = get_u64(p + 24);
  if (r.generation % commit_slots != slot) return bad(fmt::format("generation {} does not belong in this slot", r.generation));
  r.time_ns = get_u64(p + 32);
  std::memcpy(r.world_id.data(), p + 40, 16);
  r.created_ns = get_u64(p + 56);
  if (get_u32(p + 64) != block_bytes || get_u32(p + 68) != page_bytes) return bad("block or page size is not 4096");
  r.geometry.arena_base = get_u64(p + 72);
  r.geometry.arena_size = get_u64(p + 80);
  r.geometry.tree_depth = get_u32(p + 88);
  if (r.geometry.arena_size == 0 || r.geometry.arena_size % page_bytes != 0 || r.geometry.arena_base % page_bytes != 0 ||
      r.geometry.arena_size > max_arena_size)
    return bad("arena base or size is invalid");
  if (r.geometry.tree_depth != tree_depth_for(r.geometry.pages())) return bad("tree depth does not match the arena size");
  if (get_u32(p + 92) != node_fanout) return bad("node fanout is not 254");
  r.image_blocks = get_u64(p + 96);
  r.next_seq = get_u64(p + 104);
  r.retention = get_u32(p + 112);
  if (r.retention == 0 || r.retention > max_retention) return bad(fmt::format("retention {} is out of range", r.retention));
  std::uint32_t count = get_u32(p + 116);
  if (count > max_snapshots_per_record) return bad(fmt::format("snapshot count {} is too large", count));
  const std::byte* e = p + snapshot_entries_offset;
  std::uint64_t previous_seq = 0;
  for (std::uint32_t i = 0; i < count; ++i, e += snapshot_entry_bytes) {
    SnapshotEntry s;
    s.seq = get_u64(e + 0);
    s.parent_seq = get_u64(e + 8);
    s.time_ns = get_u64(e + 16);
    s.root = {get_u64(e + 24), get_u64(e + 32)};
    s.pages_in_use = get_u64(e + 40);
    s.data_blocks_written = get_u64(e + 48);
    s.node_blocks_written = get_u64(e + 56);
    if (s.seq <= previous_seq || s.seq >= r.next_seq || s.parent_seq >= s.seq)
      return bad(fmt::format("snapshot entry {} has sequence {} out of order", i, s.seq));
    if (s.root.block != 0 && s.root.block < first_data_block)
      return bad(fmt::format("snapshot {} has its root in reserved block {}", s.seq, s.root.block));
    previous_seq = s.seq;
    r.snapshots.push_back(s);
  }
  if (r.compat_features & compat_event_log) {
    r.event_log = {get_u64(p + event_log_head_offset), get_u64(p + event_log_head_offset + 8)};
    r.next_event = get_u64(p + event_log_head_offset + 16);
    // The head must be a data block this record's image holds: the log block is written before the
    // record (commit rule 2), on an image at least that long.
    if (r.event_log.block == 0 && r.event_log.checksum != 0) return bad("empty event log with a non-zero checksum");
    if (r.event_log.block != 0 && (r.event_log.block < first_data_block || r.event_log.block >= r.image_blocks))
      return bad(fmt::format("event log head block {} is outside the image's data blocks ({}..{})", r.event_log.block,
                             first_data_block, r.image_blocks));
    if (r.event_log.block != 0 && r.next_event < 2)
      return bad(fmt::format("event log is not empty but the next event number is {}", r.next_event));
  }
  return r;
}

std::uint64_t encode_node(const Node& node, std::span<std::byte, block_bytes> out) {
  std::byte* p = out.data();
  std::memset(p, 0, node_header_bytes);
  put_u32(p, node_magic);
  p[4] = std::byte(node.level);
  put_u16(p + 6, node_fanout);
  put_u64(p + 8, node.seq);
  put_u64(p + 16, node.index);
  std::byte* e = p + node_header_bytes;
  for (const Ref& ref : node.entries) {
    put_u64(e, ref.block);
    put_u64(e + 8, ref.checksum);
    e += 16;
  }
  std::uint64_t sum = checksum64(p, block_bytes, node_seed(node.level, node.index));
  put_u64(p + 24, sum);
  return sum;
}

Result<Node> decode_node(std::span<const std::byte, block_bytes> in, unsigned level, std::uint64_t index,
                         const Ref& ref) {
  const std::byte* p = in.data();
  auto bad = [&](std::string what) {
    return make_error(Errc::corrupt, "block {}: tree node (level {}, index {}): {}", ref.block, level, index, what);
  };
  if (get_u32(p) != node_magic) return bad("not a tree node (bad magic)");
  std::uint64_t stored = get_u64(p + 24);
  std::array<std::byte, block_bytes> copy;
  std::memcpy(copy.data(), p, block_bytes);
  put_u64(copy.data() + 24, 0);
  std::uint64_t computed = checksum64(copy.data(), block_bytes, node_seed(level, index));
  if (stored != computed)
    return bad(fmt::format("checksum mismatch (stored {:#018x}, computed {:#018x})", stored, computed));
  if (stored != ref.checksum)
    return bad(fmt::format("checksum {:#018x} differs from the {:#018x} its parent expects", stored, ref.checksum));
  if (std::to_integer<unsigned>(p[4]) != level || get_u64(p + 16) != index) return bad("stored at the wrong position");
  if (get_u16(p + 6) != node_fanout) return bad("fanout is not 254");
  Node node;
  node.level = level;
  node.index = index;
  node.seq = get_u64(p + 8);
  const std::byte* e = p + node_header_bytes;
  for (Ref& r : node.entries) {
    r.block = get_u64(e);
    r.checksum = get_u64(e + 8);
    e += 16;
  }
  return node;
}

std::uint64_t page_checksum(const std::byte* page, std::uint64_t page_index) {
  return checksum64(page, page_bytes, page_seed(page_index));
}

std::string format_world_id(const std::array<std::uint8_t, 16>& id) {
  std::string s;
  for (std::size_t i = 0; i < id.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    s += fmt::format("{:02x}", id[i]);
  }
  return s;
}

}  // namespace phantom::store
