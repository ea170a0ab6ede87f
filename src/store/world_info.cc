// World info and rollback (store layer). May call: host::BlockDevice only (through Image).
#include "store/world_info.h"

#include <array>
#include <chrono>
#include <thread>
#include <unordered_set>

#include "store/image.h"
#include "store/page_table.h"
#include "store/record_rewrite.h"

namespace phantom::store {

Result<WorldInfo> read_world_info(host::BlockDevice& device, bool count_blocks) {
  Image image(device);
  PHANTOM_ASSIGN(SlotState slots, image.read_slots());
  WorldInfo info;
  info.current = *slots.record[*slots.current];
  if (slots.previous) info.previous = slots.record[*slots.previous];
  for (const auto& p : slots.problem)
    if (p) info.problems.push_back(p->message);
  info.image_blocks = device.size_blocks();
  if (!count_blocks) return info;
  std::unordered_set<std::uint64_t> blocks, nodes;
  for (const CommitRecord* record : {&info.current, info.previous ? &*info.previous : nullptr}) {
    if (!record) continue;
    for (const SnapshotEntry& s : record->snapshots) {
      PHANTOM_ASSIGN(PageTable table, PageTable::load(image, record->geometry.pages(), s.root));
      std::vector<std::uint64_t> list;
      table.collect_blocks(list);
      blocks.insert(list.begin(), list.end());
      for (unsigned level = 0; level < table.depth(); ++level)
        for (std::uint64_t i = 0; i < table.node_count(level); ++i)
          if (table.node_ref(level, i).block) nodes.insert(table.node_ref(level, i).block);
    }
    PHANTOM_ASSIGN(LogChain log, read_log_chain(image, record->event_log));
    blocks.insert(log.reached.begin(), log.reached.end());
  }
  info.referenced_blocks = blocks.size();
  info.referenced_nodes = nodes.size();
  return info;
}

Result<RollbackResult> rollback(host::BlockDevice& device, std::uint64_t seq, std::uint64_t now_ns) {
  Image image(device);
  PHANTOM_ASSIGN(SlotState slots, image.read_slots());
  const CommitRecord& current = *slots.record[*slots.current];
  const CommitRecord* holder = current.find(seq) ? &current : nullptr;
  if (!holder && slots.previous && slots.record[*slots.previous]->find(seq)) holder = &*slots.record[*slots.previous];
  if (!holder) {
    std::string known;
    for (const SnapshotEntry& s : current.snapshots) known += fmt::format(" {}", s.seq);
    return make_error(Errc::not_found, "{}: no snapshot {} (retained:{})", image.name(), seq, known);
  }
  const SnapshotEntry& entry = *holder->find(seq);
  // Never make a damaged snapshot current: verify all of it first.
  PHANTOM_ASSIGN(PageTable table, PageTable::load(image, holder->geometry.pages(), entry.root));
  std::array<std::byte, page_bytes> buffer;
  Status verified = ok_status();
  table.for_each_page([&](std::uint64_t page, const Ref& ref) {
    if (verified.ok()) verified = image.read_page(page, ref, buffer.data());
  });
  PHANTOM_TRY(std::move(verified));

  RollbackResult result;
  result.seq = seq;
  for (const SnapshotEntry& s : current.snapshots)
    if (s.seq > seq) result.dropped.push_back(s.seq);
  CommitRecord chosen = truncated_to(*holder, seq);
  keep_sequence_numbers_unique(chosen, slots);
  keep_newest_event_log(chosen, slots);
  PHANTOM_ASSIGN(result.generation, rewrite_both_slots(image, chosen, current.generation, now_ns));
  return result;
}

Result<EventLogRead> read_event_log(host::BlockDevice& device) {
  constexpr int attempts = 5;
  Image image(device);
  for (int attempt = 1;; ++attempt) {
    PHANTOM_ASSIGN(SlotState slots, image.read_slots());
    PHANTOM_ASSIGN(WorldEventLog log, read_world_event_log(image, slots));
    const CommitRecord& current = *slots.record[*slots.current];
    const bool grew = !log.problems.empty() && current.image_blocks > device.size_blocks();
    if (log.problems.empty() || grew || attempt == attempts) {
      EventLogRead read;
      read.events = log.chain.events();
      read.problems = std::move(log.problems);
      read.image_grew = grew;
      if (grew)
        read.problems.push_back(fmt::format("{}: the image grew to {} blocks after it was opened ({} then): open it again "
                                            "to read the newest events", image.name(), current.image_blocks,
                                            device.size_blocks()));
      return read;
    }
    // Damage seen by a reader beside a running world is usually a block that two commits freed and
    // reused under it; the commit records name an intact log again a moment later.
    std::this_thread::sleep_for(std::chrono::milliseconds(attempt));
  }
}

}  // namespace phantom::store
