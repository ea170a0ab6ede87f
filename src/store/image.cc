// Image: slot selection and verified reads (store layer).
// May call: host::BlockDevice only.
#include "store/image.h"

#include <algorithm>
#include <array>
#include <cstring>

namespace phantom::store {

Result<SlotState> Image::read_slots() {
  SlotState state;
  if (device_.size_blocks() < first_data_block)
    return make_error(Errc::corrupt, "{}: not a Phantom world (shorter than its two {}-byte commit records)", name(),
                      block_bytes);
  bool foreign = true;
  for (std::uint64_t slot = 0; slot < commit_slots; ++slot) {
    std::array<std::byte, block_bytes> block;
    auto read = device_.read(slot, block);
    if (!read.ok()) {
      state.problem[slot] = read.take_error();
      foreign = false;
      continue;
    }
    if (has_commit_magic(block)) foreign = false;
    auto record = decode_commit_record(block, slot);
    if (!record.ok()) {
      Error e = record.take_error();
      e.message = name() + ": " + e.message;
      state.problem[slot] = std::move(e);
      continue;
    }
    state.record[slot] = std::move(record.value());
  }
  for (std::uint64_t slot = 0; slot < commit_slots; ++slot) {
    if (!state.record[slot]) continue;
    if (!state.current || state.record[slot]->generation > state.record[*state.current]->generation)
      state.current = slot;
  }
  if (!state.current) {
    if (foreign) return make_error(Errc::corrupt, "{}: not a Phantom world (no commit record found)", name());
    std::string why;
    for (std::uint64_t slot = 0; slot < commit_slots; ++slot)
      why += fmt::format("; slot {}: {}", slot, state.problem[slot] ? state.problem[slot]->message : "?");
    Errc code = Errc::corrupt;
    for (auto& p : state.problem)
      if (p && p->code == Errc::unsupported) code = Errc::unsupported;
    return make_error(code, "{}: no usable commit record{}", name(), why);
  }
  std::uint64_t other = 1 - *state.current;
  if (state.record[other]) {
    const CommitRecord& cur = *state.record[*state.current];
    const CommitRecord& prev = *state.record[other];
    if (prev.world_id == cur.world_id && prev.geometry == cur.geometry && prev.generation + 1 == cur.generation) {
      state.previous = other;
    } else {
      state.problem[other] = make_error(Errc::corrupt, "{}: commit record {}: generation {} does not precede {} of the same world",
                                        name(), other, prev.generation, cur.generation);
      state.record[other].reset();
    }
  }
  return state;
}

Result<Node> Image::read_node(unsigned level, std::uint64_t index, const Ref& ref) {
  if (ref.block < first_data_block || ref.block >= device_.size_blocks())
    return make_error(Errc::corrupt, "{}: tree node (level {}, index {}) points outside the image (block {})", name(),
                      level, index, ref.block);
  std::array<std::byte, block_bytes> block;
  PHANTOM_TRY(device_.read(ref.block, block));
  auto node = decode_node(block, level, index, ref);
  if (!node.ok()) return make_error(node.error().code, "{}: {}", name(), node.error().message);
  return node;
}

Status Image::read_nodes(unsigned level, std::vector<std::pair<std::uint64_t, Ref>> nodes,
                         const std::function<Status(std::uint64_t index, const Node& node)>& take) {
  for (const auto& [index, ref] : nodes)
    if (ref.block < first_data_block || ref.block >= device_.size_blocks())
      return make_error(Errc::corrupt, "{}: tree node (level {}, index {}) points outside the image (block {})", name(),
                        level, index, ref.block);
  std::sort(nodes.begin(), nodes.end(), [](const auto& a, const auto& b) { return a.second.block < b.second.block; });
  {  // a cold cache serves the whole level at once
    std::vector<std::uint64_t> blocks;
    blocks.reserve(nodes.size());
    for (const auto& n : nodes) blocks.push_back(n.second.block);
    device_.prefetch(blocks);
  }
  constexpr std::size_t run_limit = 64;  // 256 KiB at a time
  std::vector<std::byte> buffer(std::min(nodes.size(), run_limit) * block_bytes);
  for (std::size_t at = 0; at < nodes.size();) {
    std::size_t run = 1;
    while (at + run < nodes.size() && run < run_limit && nodes[at + run].second.block == nodes[at].second.block + run) ++run;
    PHANTOM_TRY(device_.read(nodes[at].second.block, std::span<std::byte>(buffer.data(), run * block_bytes)));
    for (std::size_t i = 0; i < run; ++i, ++at) {
      const auto& [index, ref] = nodes[at];
      auto node = decode_node(std::span<const std::byte, block_bytes>(buffer.data() + i * block_bytes, block_bytes), level, index, ref);
      if (!node.ok()) return make_error(node.error().code, "{}: {}", name(), node.error().message);
      PHANTOM_TRY(take(index, *node));
    }
  }
  return ok_status();
}

Status Image::read_page(std::uint64_t page, const Ref& ref, std::byte* out) {
  if (ref.block == 0) {
    std::memset(out, 0, page_bytes);
    return ok_status();
  }
  if (ref.block < first_data_block || ref.block >= device_.size_blocks())
    return make_error(Errc::corrupt, "{}: page {} points outside the image (block {})", name(), page, ref.block);
  PHANTOM_TRY(device_.read(ref.block, std::span<std::byte>(out, page_bytes)));
  return verify_page(page, ref, out);
}

Status Image::verify_page(std::uint64_t page, const Ref& ref, const std::byte* data) const {
  std::uint64_t sum = page_checksum(data, page);
  if (sum != ref.checksum)
    return make_error(Errc::corrupt, "{}: block {}: page {}: checksum mismatch (stored {:#018x}, computed {:#018x})", name(),
                      ref.block, page, ref.checksum, sum);
  return ok_status();
}

Status Image::write_commit_record(const CommitRecord& record) {
  std::array<std::byte, block_bytes> block;
  encode_commit_record(record, block);
  host::WritePiece piece{block.data(), block.size()};
  return device_.write(record.generation % commit_slots, std::span(&piece, 1));
}

}  // namespace phantom::store
