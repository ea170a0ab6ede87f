// World info and rollback: the offline operations on a stored world (store layer).
// read_world_info() backs `phantom snapshots` and `phantom inspect`; rollback() backs
// `phantom rollback`. Both work on a world no process has open (the CLI opens the device with its lock).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "host/block_device.h"
#include "store/image_format.h"
#include "util/result.h"

namespace phantom::store {

struct WorldInfo {
  CommitRecord current;
  std::optional<CommitRecord> previous;
  std::vector<std::string> problems;  // unusable slots
  std::uint64_t image_blocks = 0;
  // Blocks reachable from either record (data and nodes); only when asked for, since it reads every node.
  std::optional<std::uint64_t> referenced_blocks;
  std::optional<std::uint64_t> referenced_nodes;
};

Result<WorldInfo> read_world_info(host::BlockDevice& device, bool count_blocks);

struct RollbackResult {
  std::uint64_t seq = 0;
  std::uint64_t generation = 0;
  std::vector<std::uint64_t> dropped;  // newer snapshots no longer reachable
};

// Makes snapshot `seq` current after verifying every page of it; newer snapshots are dropped.
Result<RollbackResult> rollback(host::BlockDevice& device, std::uint64_t seq, std::uint64_t now_ns);

}  // namespace phantom::store
