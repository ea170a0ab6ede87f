// Fsck: verifies a world image completely (store layer).
// Checks both commit records, every node and every data page of every snapshot either record
// reaches (checksum, position, bounds), both records' event logs (magic, checksums, links, numbers),
// and that no block serves two different purposes. Reports every problem with the block and what was
// expected; with repair, makes the newest intact snapshot current and drops damaged ones
// (record_rewrite.h), and writes the intact newer part of a damaged event log afresh (or drops the
// log when nothing of it is intact). Shares every check with the store's own reads.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "host/block_device.h"
#include "util/result.h"

namespace phantom::store {

struct FsckOptions {
  bool repair = false;
  std::uint64_t now_ns = 0;  // timestamp for a repair record
  // Called now and then with pages verified so far and the expected total.
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;
};

struct FsckSnapshot {
  std::uint64_t seq = 0;
  bool intact = true;
  std::uint64_t pages = 0;
  std::uint64_t nodes = 0;
};

struct FsckReport {
  std::vector<std::string> errors;  // damage; the image is not clean
  std::vector<FsckSnapshot> snapshots;
  std::uint64_t image_blocks = 0;
  std::uint64_t referenced_blocks = 0;
  std::uint64_t pages_verified = 0;
  std::uint64_t nodes_verified = 0;
  std::uint64_t events_verified = 0;     // distinct events (by number) in the intact log blocks either record reaches
  std::uint64_t log_blocks_verified = 0;
  bool repaired = false;
  std::string repair_summary;
  bool clean() const { return errors.empty(); }
};

// Fails only when the device cannot be read at all; a damaged or foreign image yields a report.
Result<FsckReport> fsck(host::BlockDevice& device, const FsckOptions& options);

}  // namespace phantom::store
