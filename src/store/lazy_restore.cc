// Lazy restore: filling the arena on first touch and in the background (store layer).
// May call: host/ only.
//
// After open() the world runs at once. A page touched before the prefetcher reached it is read,
// verified and installed by the tracker's fault handler (LazySource); the prefetcher reads the rest in
// block order. Both install with the tracker, which never overwrites a page already filled.
// If a page turns out to be damaged, the world has been running on a snapshot that cannot be fully
// restored: the store drops that snapshot from both commit records (nothing newer was committed,
// since the first snapshot waits for the prefetcher) and stops the process; the next start resumes
// from the snapshot before it.
#include <algorithm>
#include <cassert>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "host/fault_note.h"
#include "store/page_reader.h"
#include "store/record_rewrite.h"
#include "store/store.h"

namespace phantom::store {

void Store::LazySource::fill_page(std::uint64_t page, std::byte* out) {
  Store& store = store_;
  // Once the prefetcher is done every stored page is installed: what is left is zero.
  if (store.prefetch_done_.load(std::memory_order_acquire)) {
    std::memset(out, 0, page_bytes);
    return;
  }
  // The arena is handed out only after open() has set the table, so a fault before that is a bug.
  assert(store.restored_table_ && "arena touched before the restored page table was set");
  auto read = store.image_.read_page(page, store.restored_table_->page(page), out);
  if (!read.ok()) store.lazy_restore_failed(read.error());
}

void Store::prefetch() {
  {
    std::unique_lock lock(prefetch_mutex_);
    prefetch_go_signal_.wait(lock, [&] { return prefetch_go_; });
  }
  Status done = read_pages_in_block_order(
      image_, *restored_table_,
      [&](std::uint64_t page, const std::byte* data) { return tracker_->install(page, data); }, &prefetch_cancel_);
  if (!done.ok()) lazy_restore_failed(done.error());
  {
    std::lock_guard lock(prefetch_mutex_);
    restored_after_ns_ = env_.clock().monotonic_ns() - open_began_ns_;
    prefetch_done_.store(true, std::memory_order_release);
  }
  prefetch_finished_.notify_all();
}

void Store::start_background_restore() {
  {
    std::lock_guard lock(prefetch_mutex_);
    if (prefetch_go_) return;
    prefetch_go_ = true;
  }
  prefetch_go_signal_.notify_all();
}

std::uint64_t Store::wait_until_restored() {
  start_background_restore();
  std::unique_lock lock(prefetch_mutex_);
  prefetch_finished_.wait(lock, [&] { return prefetch_done_.load(); });
  return restored_after_ns_ ? restored_after_ns_ : restore_.restore_ns;
}

void Store::lazy_restore_failed(const Error& error) {
  std::uint64_t seq = restore_.restored_seq;
  if (error.code != Errc::corrupt) {
    std::fprintf(stderr, "phantom: fatal: cannot read snapshot %lu while restoring it: %s; the world is unchanged, "
                 "start it again\n", seq, error.message.c_str());
    host::record_fatal_fault(host::FaultKind::store_damage, 0, fmt::format("cannot read snapshot {}: {}", seq, error.message));
    std::abort();
  }
  // Never beside a record_events() commit (which does not touch the arena, so it cannot wait for us).
  std::lock_guard commit_lock(commit_mutex_);
  CommitRecord fallback = record_;
  std::erase_if(fallback.snapshots, [&](const SnapshotEntry& s) { return s.seq >= seq; });
  if (fallback.snapshots.empty()) {
    // The current record named nothing older (retention 1, say); the other slot's record, one
    // generation older and of this world, may: that is where an eager restore would have gone.
    for (const auto& other : on_disk_) {
      if (!other || other->world_id != record_.world_id || other->generation + 1 != record_.generation) continue;
      CommitRecord older = *other;
      std::erase_if(older.snapshots, [&](const SnapshotEntry& s) { return s.seq >= seq; });
      if (!older.snapshots.empty()) {
        older.next_seq = std::max(older.next_seq, record_.next_seq);  // never reuse a sequence number
        older.event_log = record_.event_log;  // the log survives the fallback (docs/image-format.md)
        older.next_event = std::max(older.next_event, record_.next_event);
        fallback = std::move(older);
      }
    }
  }
  // The fault note tells the next start (and the world's event log) why this run ended.
  host::record_fatal_fault(host::FaultKind::store_damage, 0, fmt::format("snapshot {} is damaged: {}", seq, error.message));
  auto rewritten = rewrite_both_slots(image_, fallback, newest_generation(), env_.clock().wall_ns());
  std::uint64_t previous = fallback.snapshots.empty() ? 0 : fallback.snapshots.back().seq;
  if (rewritten.ok())
    std::fprintf(stderr, "phantom: fatal: snapshot %lu is damaged: %s; it has been dropped, start the world again "
                 "to resume from snapshot %lu\n", seq, error.message.c_str(), previous);
  else
    std::fprintf(stderr, "phantom: fatal: snapshot %lu is damaged: %s; dropping it failed too (%s): run "
                 "`phantom fsck --repair`\n", seq, error.message.c_str(), rewritten.error().message.c_str());
  std::abort();
}

}  // namespace phantom::store
