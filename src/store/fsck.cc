// Fsck: full verification and optional repair of a world image (store layer).
// May call: host::BlockDevice only (through Image).
#include "store/fsck.h"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "store/event_log.h"
#include "store/image.h"
#include "store/page_table.h"
#include "store/record_rewrite.h"

namespace phantom::store {
namespace {

// What a block holds: a page (level 0) or a node (level L+1), at an index, with a checksum; or an
// event-log block (log) whose first event is `index`.
struct BlockUse {
  unsigned level;
  std::uint64_t index;
  std::uint64_t checksum;
  std::uint64_t seq;
  bool log = false;
};

std::string describe(const BlockUse& use) {
  if (use.log) return fmt::format("event log block (from event {})", use.index);
  if (use.level == 0) return fmt::format("page {} of snapshot {}", use.index, use.seq);
  return fmt::format("tree node (level {}, index {}) of snapshot {}", use.level - 1, use.index, use.seq);
}

class Checker {
 public:
  Checker(Image& image, FsckReport& report, const FsckOptions& options)
      : image_(image), report_(report), options_(options) {}

  // Verifies one snapshot; false when any of it is damaged.
  bool check_snapshot(const SnapshotEntry& entry, const WorldGeometry& geometry, std::uint64_t total_pages) {
    FsckSnapshot result;
    result.seq = entry.seq;
    auto table = PageTable::load(image_, geometry.pages(), entry.root);
    if (!table.ok()) {
      report_.errors.push_back(fmt::format("snapshot {}: {}", entry.seq, table.error().message));
      result.intact = false;
      report_.snapshots.push_back(result);
      return false;
    }
    for (unsigned level = 0; level < table->depth(); ++level)
      for (std::uint64_t i = 0; i < table->node_count(level); ++i)
        if (table->node_ref(level, i).block != 0) {
          ++result.nodes;
          result.intact &= claim(table->node_ref(level, i).block, {level + 1, i, table->node_ref(level, i).checksum, entry.seq});
        }
    report_.nodes_verified += result.nodes;
    if (table->pages_in_use() != entry.pages_in_use) {
      report_.errors.push_back(fmt::format("snapshot {}: record says {} pages in use, its tree has {}", entry.seq,
                                           entry.pages_in_use, table->pages_in_use()));
      result.intact = false;
    }
    std::array<std::byte, page_bytes> buffer;
    table->for_each_page([&](std::uint64_t page, const Ref& ref) {
      ++result.pages;
      if (!claim(ref.block, {0, page, ref.checksum, entry.seq})) {
        result.intact = false;
        return;
      }
      if (!verified_.insert({ref.block, ref.checksum}).second) return;  // shared with a snapshot checked before
      auto read = image_.read_page(page, ref, buffer.data());
      if (!read.ok()) {
        report_.errors.push_back(fmt::format("snapshot {}: {}", entry.seq, read.error().message));
        result.intact = false;
      }
      ++report_.pages_verified;
      if (options_.progress && report_.pages_verified % 16384 == 0) options_.progress(report_.pages_verified, total_pages);
    });
    report_.snapshots.push_back(result);
    return result.intact;
  }

  // Verifies a record's event log and claims its blocks (after the snapshots: a block that is both a
  // page and a log block counts against the log, which a repair can cut, not against the snapshot).
  // Returns the blocks whose claim failed.
  std::set<std::uint64_t> check_event_log(const LogChain& chain) {
    std::set<std::uint64_t> conflicts;
    if (chain.damage && std::find(report_.errors.begin(), report_.errors.end(), chain.damage->message) == report_.errors.end())
      report_.errors.push_back(chain.damage->message);
    for (const StoredLogBlock& b : chain.blocks) {
      if (!claim(b.ref.block, {0, b.block.first_number, b.ref.checksum, 0, true})) {
        conflicts.insert(b.ref.block);
        continue;
      }
      if (!log_verified_.insert(b.ref.block).second) continue;  // shared with the other record's log
      ++report_.log_blocks_verified;
      for (const Event& e : b.block.events) report_.events_verified += events_seen_.insert(e.number).second;
    }
    for (std::uint64_t block : chain.reached) reached_.insert(block);
    return conflicts;
  }

  // A block no record reaches in any way fsck could verify: where a repair may write.
  bool unclaimed(std::uint64_t block) const { return !uses_.count(block) && !reached_.count(block); }

 private:
  // Records that `block` holds `use`; a block holding two different things is an error.
  bool claim(std::uint64_t block, const BlockUse& use) {
    auto [it, inserted] = uses_.try_emplace(block, use);
    if (inserted) {
      ++report_.referenced_blocks;
      return true;
    }
    const BlockUse& other = it->second;
    if (other.log == use.log && other.level == use.level && other.index == use.index && other.checksum == use.checksum)
      return true;
    report_.errors.push_back(fmt::format("{}: block {} is used twice: as {} and as {}", image_.name(), block,
                                         describe(other), describe(use)));
    return false;
  }

  Image& image_;
  FsckReport& report_;
  const FsckOptions& options_;
  std::unordered_map<std::uint64_t, BlockUse> uses_;
  std::unordered_set<std::uint64_t> log_verified_;
  std::unordered_set<std::uint64_t> events_seen_;  // by number: the two records' logs share most events
  std::unordered_set<std::uint64_t> reached_;  // every log block a chain names, damaged ones too
  struct PairHash {
    std::size_t operator()(const std::pair<std::uint64_t, std::uint64_t>& p) const { return p.first * 31 + p.second; }
  };
  std::unordered_set<std::pair<std::uint64_t, std::uint64_t>, PairHash> verified_;
};

// Repair of the event log: the log a rewrite carries (the newest, read_world_event_log()), cut before
// any block that is damaged or also used by a snapshot. An intact log is kept as it is; otherwise its
// intact newer part is written afresh to blocks nothing reaches (and flushed before any record names
// it, commit rule 2), or the log is dropped when nothing of it is intact. Numbering continues.
Result<std::string> repair_event_log(Image& image, Checker& checker, const WorldEventLog& log,
                                     const std::set<std::uint64_t>& conflicts, CommitRecord& repaired) {
  repaired.next_event = log.next_number;
  std::vector<StoredLogBlock> keep = log.chain.blocks;
  auto conflict = std::find_if(keep.rbegin(), keep.rend(), [&](const StoredLogBlock& b) { return conflicts.count(b.ref.block); });
  const bool cut = conflict != keep.rend();
  if (cut) keep.erase(keep.begin(), conflict.base());  // the newest shared block and all older ones
  if (!log.chain.damage && !cut) {
    repaired.event_log = log.head;
    return std::string(log.problems.empty() ? "" : "event log: the previous commit record's log is kept");
  }
  std::vector<Event> events;
  for (const StoredLogBlock& b : keep) events.insert(events.end(), b.block.events.begin(), b.block.events.end());
  if (events.empty()) {
    repaired.event_log = {};
    return fmt::format("event log: nothing of it was intact, it starts empty (numbering continues at {})", log.next_number);
  }
  std::uint64_t next_free = first_data_block;
  auto allocate = [&]() -> Result<std::uint64_t> {
    while (next_free < image.size_blocks() && !checker.unclaimed(next_free)) ++next_free;
    if (next_free >= image.size_blocks()) PHANTOM_TRY(image.device().grow(next_free + 1));
    return next_free++;
  };
  PHANTOM_ASSIGN(std::vector<EncodedLogBlock> blocks, encode_log_chain(pack_events(events), {}, allocate));
  for (const EncodedLogBlock& b : blocks) {
    host::WritePiece piece{b.bytes.data(), b.bytes.size()};
    PHANTOM_TRY(image.device().write(b.stored.ref.block, std::span(&piece, 1)));
  }
  PHANTOM_TRY(image.device().flush());
  repaired.event_log = blocks.back().stored.ref;
  return fmt::format("event log: events {}..{} kept in {} new block(s), the older ones are lost", events.front().number,
                     events.back().number, blocks.size());
}

}  // namespace

Result<FsckReport> fsck(host::BlockDevice& device, const FsckOptions& options) {
  Image image(device);
  FsckReport report;
  report.image_blocks = device.size_blocks();
  auto slots_result = image.read_slots();
  if (!slots_result.ok()) {
    if (slots_result.error().code == Errc::io) return slots_result.take_error();
    report.errors.push_back(slots_result.error().message);
    return report;
  }
  SlotState& slots = slots_result.value();
  for (const auto& problem : slots.problem)
    if (problem) report.errors.push_back(problem->message);
  const CommitRecord& current = *slots.record[*slots.current];
  if (current.image_blocks > device.size_blocks())
    report.errors.push_back(fmt::format("{}: image is truncated: {} blocks, the last commit wrote up to {}", image.name(),
                                        device.size_blocks(), current.image_blocks));

  // Every snapshot either slot reaches, once each, newest first.
  std::map<std::uint64_t, SnapshotEntry, std::greater<>> entries;
  for (const auto& record : slots.record)
    if (record)
      for (const SnapshotEntry& s : record->snapshots) entries.emplace(s.seq, s);
  std::uint64_t total_pages = 0;
  for (auto& [seq, entry] : entries) total_pages += entry.pages_in_use;

  Checker checker(image, report, options);
  std::optional<std::uint64_t> newest_intact;
  for (auto& [seq, entry] : entries)
    if (checker.check_snapshot(entry, current.geometry, total_pages) && !newest_intact) newest_intact = seq;
  if (options.progress) options.progress(report.pages_verified, total_pages);
  // A one-flush commit (store.h, commit rule 2) that a crash cut short names pages that never landed:
  // not damage to the world, since it was never acknowledged, but worth saying what it is.
  if (current.verify_newest && !current.snapshots.empty())
    for (const FsckSnapshot& f : report.snapshots)
      if (f.seq == current.snapshots.back().seq && !f.intact)
        report.errors.push_back(fmt::format("snapshot {} was written by a one-flush commit that did not finish (it was never "
                                            "acknowledged): open skips it and resumes from the snapshot before; "
                                            "`fsck --repair` drops it", f.seq));

  // Both records' logs (once each when they share their head), then the one a rewrite would carry.
  std::set<std::uint64_t> conflicts;
  std::set<std::pair<std::uint64_t, std::uint64_t>> heads;
  for (const auto& record : slots.record) {
    if (!record || !heads.insert({record->event_log.block, record->event_log.checksum}).second) continue;
    auto chain = read_log_chain(image, record->event_log);
    if (!chain.ok()) {
      report.errors.push_back(chain.error().message);
      continue;
    }
    conflicts.merge(checker.check_event_log(*chain));
  }
  if (!options.repair || report.clean()) return report;
  // Repair: the newest intact snapshot becomes current, with its intact ancestors.
  const CommitRecord* base = &current;
  if (newest_intact && !current.find(*newest_intact) && slots.previous) base = &*slots.record[*slots.previous];
  CommitRecord repaired = newest_intact ? truncated_to(*base, *newest_intact) : truncated_to(*base, 0);
  keep_sequence_numbers_unique(repaired, slots);
  keep_newest_event_log(repaired, slots);
  std::string log_summary;
  auto log = read_world_event_log(image, slots);
  if (log.ok()) {
    PHANTOM_ASSIGN(log_summary, repair_event_log(image, checker, *log, conflicts, repaired));
  } else {  // the log could not be read at all: drop it rather than name blocks nobody verified
    repaired.event_log = {};
    log_summary = "event log: unreadable, dropped";
  }
  std::erase_if(repaired.snapshots, [&](const SnapshotEntry& s) {
    for (const FsckSnapshot& f : report.snapshots)
      if (f.seq == s.seq) return !f.intact;
    return false;
  });
  std::uint64_t newest_generation = current.generation;
  PHANTOM_TRY(rewrite_both_slots(image, repaired, newest_generation, options.now_ns));
  report.repaired = true;
  report.repair_summary = newest_intact
      ? fmt::format("snapshot {} is now current; {} damaged snapshot(s) dropped", *newest_intact,
                    std::count_if(report.snapshots.begin(), report.snapshots.end(), [](auto& s) { return !s.intact; }))
      : std::string("no intact snapshot was left: the world is now empty");
  if (!log_summary.empty()) report.repair_summary += "; " + log_summary;
  return report;
}

}  // namespace phantom::store
