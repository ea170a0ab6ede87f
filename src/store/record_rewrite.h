// Record rewrite: making one commit record the only state of a world (store layer).
// Used by recovery at open (after a torn commit record or a damaged snapshot), by rollback and by
// fsck --repair. Writes the record as generation n+1 and then n+2, flushing after each, so both
// slots end up naming exactly its snapshots; a crash in between leaves one slot with the new record
// and the other with either the old or the new one, all valid (commit rule 3). Every rewrite keeps the
// newest event log of the valid slots (keep_newest_event_log), even when the snapshot list comes from
// an older record: the log is the world's history, and a rollback is part of it.
#pragma once

#include "store/image.h"

namespace phantom::store {

// `record` becomes current; `newest_generation` is the highest generation either slot holds.
// Returns the generation of the last record written.
Result<std::uint64_t> rewrite_both_slots(Image& image, CommitRecord record, std::uint64_t newest_generation,
                                         std::uint64_t now_ns);

// The snapshot list a record has after making `seq` the newest: its entries up to `seq`.
CommitRecord truncated_to(const CommitRecord& record, std::uint64_t seq);

// Raises `record`'s next sequence number to the highest that either valid slot holds. A record taken
// from the previous slot (a rollback or a restore to a snapshot only it names, a repair) has a lower
// one, and its next snapshot would reuse a number that the current record gave out (image-format.md:
// sequence numbers are never reused). Found by the model check (docs/verification.md).
void keep_sequence_numbers_unique(CommitRecord& record, const SlotState& slots);

// Gives `record` the event log of the current (newest valid) slot, and the highest next event number
// either valid slot holds, so that a rewrite from the previous slot neither loses the events recorded
// since nor reuses their numbers. Same spirit as keep_sequence_numbers_unique.
void keep_newest_event_log(CommitRecord& record, const SlotState& slots);

}  // namespace phantom::store
