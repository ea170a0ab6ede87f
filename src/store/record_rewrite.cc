// Record rewrite: two flushed commit records with the same snapshot list (store layer).
// May call: host::BlockDevice (through Image) only.
#include "store/record_rewrite.h"

#include <algorithm>

namespace phantom::store {

Result<std::uint64_t> rewrite_both_slots(Image& image, CommitRecord record, std::uint64_t newest_generation,
                                         std::uint64_t now_ns) {
  record.time_ns = now_ns;
  record.image_blocks = image.size_blocks();
  // Rewritten records name blocks that are all durable, a one-flush commit's too once this flush has
  // returned (commit rule 2): they never ask open to verify.
  record.verify_newest = false;
  PHANTOM_TRY(image.device().flush());
  for (std::uint64_t step = 1; step <= commit_slots; ++step) {
    record.generation = newest_generation + step;
    PHANTOM_TRY(image.write_commit_record(record));
    PHANTOM_TRY(image.device().flush());
  }
  return record.generation;
}

CommitRecord truncated_to(const CommitRecord& record, std::uint64_t seq) {
  CommitRecord out = record;
  std::erase_if(out.snapshots, [&](const SnapshotEntry& s) { return s.seq > seq; });
  return out;
}

void keep_sequence_numbers_unique(CommitRecord& record, const SlotState& slots) {
  for (const auto& slot : slots.record)
    if (slot) record.next_seq = std::max(record.next_seq, slot->next_seq);
}

void keep_newest_event_log(CommitRecord& record, const SlotState& slots) {
  if (slots.current) record.event_log = slots.record[*slots.current]->event_log;
  for (const auto& slot : slots.record)
    if (slot) record.next_event = std::max(record.next_event, slot->next_event);
}

}  // namespace phantom::store
