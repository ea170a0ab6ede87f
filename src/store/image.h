// Image: reading and writing the structures of a world image on a block device (store layer).
// Owns: which commit slot is current, verified reads of nodes and pages, and commit-record writes.
// May call: host::BlockDevice only. Every read is verified against the checksum its referrer holds.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "host/block_device.h"
#include "store/image_format.h"
#include "util/result.h"

namespace phantom::store {

// What the two commit slots hold.
struct SlotState {
  std::optional<CommitRecord> record[commit_slots];
  std::optional<Error> problem[commit_slots];  // why a slot is not usable
  // Index of the newest valid slot and of the other valid slot of the same world, if any.
  std::optional<std::uint64_t> current;
  std::optional<std::uint64_t> previous;
};

class Image {
 public:
  explicit Image(host::BlockDevice& device) : device_(device) {}

  host::BlockDevice& device() { return device_; }
  const std::string& name() const { return device_.name(); }
  std::uint64_t size_blocks() const { return device_.size_blocks(); }

  // Reads both slots. Fails only when neither holds a usable record.
  Result<SlotState> read_slots();
  Result<Node> read_node(unsigned level, std::uint64_t index, const Ref& ref);
  // Reads and verifies the nodes of one tree level named by (index, Ref) pairs, in any order, and hands
  // each to `take`. Nodes in consecutive blocks (a snapshot writes a level together) come in one
  // read: a 1 GiB world's thousand leaves cost a few reads instead of a thousand. The first failure
  // (of a read, a check or `take`) ends it.
  Status read_nodes(unsigned level, std::vector<std::pair<std::uint64_t, Ref>> nodes,
                    const std::function<Status(std::uint64_t index, const Node& node)>& take);
  // Reads the block of `page` into `out` (4 KiB) and verifies it; a zero Ref yields zeros.
  Status read_page(std::uint64_t page, const Ref& ref, std::byte* out);
  // Checks that `data`, read from `ref.block`, is what `ref` says page `page` holds.
  Status verify_page(std::uint64_t page, const Ref& ref, const std::byte* data) const;
  // Writes `record` to its slot (generation % 2). Not durable until the device is flushed.
  Status write_commit_record(const CommitRecord& record);

 private:
  host::BlockDevice& device_;
};

}  // namespace phantom::store
