// Fsck: full verification and optional repair of a world image (store layer).
// May call: host::BlockDevice only (through Image).
#include "store/fsck.h"

#include <array>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "store/image.h"
#include "store/page_table.h"
#include "store/record_rewrite.h"

namespace phantom::store {
namespace {

// What a block holds: a page (level 0) or a node (level L+1), at an index, with a checksum.
struct BlockUse {
  unsigned level;
  std::uint64_t index;
  std::uint64_t checksum;
  std::uint64_t seq;
};

std::string describe(const BlockUse& use) {
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

 private:
  // Records that `block` holds `use`; a block holding two different things is an error.
  bool claim(std::uint64_t block, const BlockUse& use) {
    auto [it, inserted] = uses_.try_emplace(block, use);
    if (inserted) {
      ++report_.referenced_blocks;
      return true;
    }
    const BlockUse& other = it->second;
    if (other.level == use.level && other.index == use.index && other.checksum == use.checksum) return true;
    report_.errors.push_back(fmt::format("{}: block {} is used twice: as {} and as {}", image_.name(), block,
                                         describe(other), describe(use)));
    return false;
  }

  Image& image_;
  FsckReport& report_;
  const FsckOptions& options_;
  std::unordered_map<std::uint64_t, BlockUse> uses_;
  struct PairHash {
    std::size_t operator()(const std::pair<std::uint64_t, std::uint64_t>& p) const { return p.first * 31 + p.second; }
  };
  std::unordered_set<std::pair<std::uint64_t, std::uint64_t>, PairHash> verified_;
};

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

  if (!options.repair || report.clean()) return report;
  // Repair: the newest intact snapshot becomes current, with its intact ancestors.
  const CommitRecord* base = &current;
  if (newest_intact && !current.find(*newest_intact) && slots.previous) base = &*slots.record[*slots.previous];
  CommitRecord repaired = newest_intact ? truncated_to(*base, *newest_intact) : truncated_to(*base, 0);
  keep_sequence_numbers_unique(repaired, slots);
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
  return report;
}

}  // namespace phantom::store
