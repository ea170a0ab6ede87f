// World info, rollback and the event log: the offline operations on a stored world (store layer).
// read_world_info() backs `phantom snapshots` and `phantom inspect`; rollback() backs
// `phantom rollback`. Both work on a world no process has open (the CLI opens the device with its lock).
// read_event_log() backs `phantom events` and may run while the world runs (a read-only device).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "host/block_device.h"
#include "store/event_log.h"
#include "store/image_format.h"
#include "util/result.h"

namespace phantom::store {

struct WorldInfo {
  CommitRecord current;
  std::optional<CommitRecord> previous;
  std::vector<std::string> problems;  // unusable slots
  std::uint64_t image_blocks = 0;
  // Blocks reachable from either record (data, nodes and event-log blocks); only when asked for, since
  // it reads every node.
  std::optional<std::uint64_t> referenced_blocks;
  std::optional<std::uint64_t> referenced_nodes;
};

Result<WorldInfo> read_world_info(host::BlockDevice& device, bool count_blocks);

struct RollbackResult {
  std::uint64_t seq = 0;
  std::uint64_t generation = 0;
  std::vector<std::uint64_t> dropped;  // newer snapshots no longer reachable
};

// Makes snapshot `seq` current after verifying every page of it; newer snapshots are dropped. The
// event log is kept whole (keep_newest_event_log): it records what happened, the rollback included.
Result<RollbackResult> rollback(host::BlockDevice& device, std::uint64_t seq, std::uint64_t now_ns);

struct EventLogRead {
  std::vector<Event> events;          // oldest first
  std::vector<std::string> problems;  // damage: what is missing and why
  // The world grew the image after `device` was opened, and the log reaches blocks past the size the
  // device saw then (a read-only FileBlockDevice keeps the size it found at open). Not damage: open
  // the device again and read again.
  bool image_grew = false;
};
// The current record's event log, oldest first (read_world_event_log() in event_log.h: the intact
// newer part of a damaged log, or the previous record's log if that holds more). Works on a device
// opened read-only while the world runs: a commit meanwhile may free and reuse a block the read was
// about to follow, so a read that meets damage is retried from the commit records a few times before
// the damage is reported (see also image_grew). Fails only when the image has no usable commit record
// or cannot be read.
Result<EventLogRead> read_event_log(host::BlockDevice& device);

}  // namespace phantom::store
