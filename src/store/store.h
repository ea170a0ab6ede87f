// Store: a world's persistent arena, its snapshots and their commit (store layer, public interface).
// Owns: the arena mapping, the write tracker, the in-memory page table of the snapshot being built,
// the free-block map, and the commit records. May call: host/ only. Knows pages and blocks, not objects.
//
// States (SQLite pager style; the function that makes each transition in brackets):
//
//   open/create --> idle --[snapshot(): pre-copy]--> capturing --[stop, final scan, copy, resume]-->
//   writing --[data and nodes written]--> flushing --[flush, commit record, flush]--> idle
//        any write or flush error --> failed   (every later snapshot() fails; reopen from disk)
//
// In idle the page table equals the last committed snapshot; in capturing and writing it is the
// snapshot being built and is never seen by any reader on disk until its commit record is durable.
//
// Commit rules (cited in code and tests as "commit rule N"):
//   1. A block reachable from either commit slot is never written (copy-on-write: new data and
//      nodes go to blocks that no commit record reaches).
//   2. Every data block and node of a snapshot is written and flushed before the commit record that
//      names it is written. Except in a one-flush commit: a small snapshot (at most
//      one_flush_commit_blocks blocks written, no event-log block, the image not grown, not the
//      world's first snapshot, retention at least 2) writes its record with incompat_verify_newest
//      right after its blocks and flushes once. Open then reads
//      and verifies every page that snapshot has and the other slot's newest has not, and skips the
//      snapshot if one did not land (Store::verify_newest_changes): it was never acknowledged
//      (rule 4), and rule 1 kept the snapshot before it intact. One flush instead of two is about
//      0.15 ms less per commit on the development VM (docs/store.md, "One-flush commits").
//   3. A commit record carries its own checksum and goes to slot generation % 2, so the record of the
//      previous commit stays intact while the new one is written; a torn record fails its checksum and
//      the other slot is used.
//   4. The commit record is flushed before snapshot() reports the snapshot durable.
//   5. Blocks become free only when neither slot's record reaches them; the free map is derived from
//      the records' snapshots and event logs (rebuilt at open, then brought up to date after each
//      commit from what each snapshot superseded and which log blocks each slot reaches), never
//      stored, so a crash cannot leak or double-use a block.
//
// The event log (event_log.h) is committed with the same rules: its new blocks are written and flushed
// before the record that names them, by a snapshot's commit (queue_event) or by record_events(), which
// writes a record naming the same snapshots as the current one. Threads: snapshot() and write_back()
// run on one thread; record_events(), queue_event() and events() may be called from any thread.
// commit_mutex_ orders record_events() with the commit part of snapshot(); allocator_mutex_ guards the
// free map, which a snapshot's write-out uses outside the commit.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <memory>
#include <string>
#include <vector>

#include "host/env.h"
#include "store/block_allocator.h"
#include "store/cleaner.h"
#include "store/event_log.h"
#include "store/image.h"
#include "store/page_table.h"
#include "util/result.h"

namespace phantom::store {

// The owner of the arena (later the VM) stops and resumes everything that writes into it.
class WorldControl {
 public:
  virtual ~WorldControl() = default;
  // Returns when no thread will write to the arena until resume().
  virtual void stop() = 0;
  virtual void resume() = 0;
  // How many bytes from the arena's start the world may have written since tracking began: nothing
  // above is ever written (the VM's heap high-water mark). Snapshots scan only that much.
  virtual std::uint64_t written_extent() { return UINT64_MAX; }
};

constexpr std::uint64_t default_arena_base = 0x2000'0000'0000ull;  // 32 TiB, far from heap, stacks and libraries
constexpr std::uint64_t default_arena_size = 1ull << 30;

struct CreateOptions {
  std::uint64_t arena_base = default_arena_base;
  std::uint64_t arena_size = default_arena_size;
  std::uint32_t retention = 3;
};

enum class StoreState { idle, capturing, writing, flushing, failed };
const char* store_state_name(StoreState state);

struct StoreOptions {
  host::TrackingMode tracking = host::TrackingMode::automatic;
  // Pre-copy: rounds of copying written pages to staging memory while the world runs, until a round
  // finds at most precopy_target_pages; the pause then copies only what was written since.
  std::uint32_t precopy_max_rounds = 4;
  std::uint64_t precopy_target_pages = 256;
  // Cut first: when the last collection of written pages (a cut or a write-back) was this recent and
  // found at most precopy_target_pages, the snapshot skips pre-copy and stops the world at once; the
  // pages written since are few, and one scan of the page tables is saved. Should the cut find more
  // than precopy_target_pages after all, the world resumes at once and pre-copy runs as usual.
  std::uint64_t cut_first_window_ns = 50'000'000;
  // Memory for the pages of one snapshot between their copy and their write-out. Pre-copied pages
  // beyond it are written to disk at once; residual pages beyond it are written during the pause.
  std::uint64_t staging_limit_pages = 64 * 1024;  // 256 MiB
  // Lazy restore: open returns once the page tree is verified; pages are filled on first touch and by
  // a background prefetcher that verifies every page. The first snapshot waits for the prefetcher, so
  // nothing is committed on top of unverified data. Falls back to eager where the host cannot.
  bool lazy_restore = true;
  // The prefetcher waits for start_background_restore() (or for anyone who waits for the restore)
  // instead of starting at open: a world runner starts it when the world is about to run. Started at
  // open, it took a core of two while the runner resumed the VM, whose page faults then queued behind
  // it: 0.1-4.2 ms of a 1 GiB world's 10-15 ms from process start to the first bytecode.
  bool defer_background_restore = false;
  // Maps the arena wherever the host has room even when its recorded address is free: tests of worlds
  // whose arena moves (`phantom run --arena-anywhere`, not in --help). Otherwise it moves only when
  // the recorded address cannot be had (Store::open).
  bool arena_anywhere = false;
  // Called on every state change (see the diagram above), from the thread that takes the snapshot
  // (or, for a failed commit record of record_events(), from its caller's thread). For observation
  // only (tests record in which phase a crash hit); must not call into the store.
  std::function<void(StoreState)> on_state_change;
};


// What open() restored, and what it had to skip to get there.
struct RestoreReport {
  std::uint64_t restored_seq = 0;    // 0: a new, empty world
  std::uint64_t restored_time_ns = 0;
  std::uint64_t generation = 0;
  std::uint64_t pages_restored = 0;  // pages the restored snapshot holds
  std::uint64_t restore_ns = 0;      // until the arena was usable
  bool lazy = false;                 // pages are being filled on demand and in the background
  std::string eager_reason;          // why lazy restore was not used, when it was asked for
  std::uint64_t snapshots_skipped = 0;  // damaged snapshots passed over
  std::uint64_t pages_verified_at_open = 0;  // read at open after a one-flush commit (verify_newest_changes)
  bool recovered = false;             // the commit records were rewritten at open
  // Damaged records or snapshots passed over, and a damaged event log ("event log damaged at block N:
  // ...; the events before it are lost"), which never stops a world from opening.
  std::vector<std::string> warnings;
  std::uint64_t events_restored = 0;  // events the log held at open
  bool arena_moved = false;           // the arena is not at the address recorded in the image
};

struct SnapshotReport {
  std::uint64_t seq = 0;
  std::uint64_t generation = 0;
  std::uint32_t precopy_rounds = 0;
  std::uint64_t precopy_pages = 0;
  std::uint64_t residual_pages = 0;   // pages copied while stopped
  std::uint64_t unstaged_pages = 0;   // residual pages written to disk while stopped (staging was full)
  std::uint64_t data_blocks = 0;
  std::uint64_t node_blocks = 0;
  std::uint64_t stop_ns = 0;          // time for the world to stop (safepoint)
  std::uint64_t pause_ns = 0;         // from asking the world to stop until it runs again (the longest pause)
  bool cut_first = false;             // pre-copy was skipped (StoreOptions::cut_first_window_ns)
  std::uint32_t cuts_abandoned = 0;   // a cut first found too many pages; the world resumed, pre-copy ran
  std::uint64_t write_ns = 0;         // data and nodes written after resuming (and pre-copy writes)
  std::uint64_t flush_ns = 0;         // the flushes (one or two) and the commit record
  bool one_flush = false;             // a one-flush commit (commit rule 2; one_flush_commit_blocks)
  std::uint64_t total_ns = 0;
  std::uint64_t bytes_written = 0;
  std::uint64_t write_calls = 0;      // gather-writes issued (one per run of consecutive blocks)
  std::uint64_t cleaned_pages = 0;    // pages copied forward to empty sparse segments
  std::uint64_t cleaned_nodes = 0;
  std::uint64_t written_back_pages = 0;  // written by write_back() since the last snapshot, not in data_blocks
};

struct StoreStatistics {
  std::uint64_t image_blocks = 0;
  std::uint64_t used_blocks = 0;
  std::uint64_t pages_in_use = 0;
  std::uint64_t snapshots_retained = 0;
  std::uint64_t last_seq = 0;
};

class Store {
 public:
  static Result<std::unique_ptr<Store>> create(host::Env& env, std::unique_ptr<host::BlockDevice> device,
                                               const CreateOptions& create, const StoreOptions& options);
  static Result<std::unique_ptr<Store>> open(host::Env& env, std::unique_ptr<host::BlockDevice> device,
                                             const StoreOptions& options);
  // Opens the world at `path`, creating it first when it does not exist (created = true then). An image
  // that a crash left half-created (exactly its two record blocks, zero or torn, no data) is created
  // again too; any other image that fails to open is refused with the reason.
  static Result<std::unique_ptr<Store>> open_or_create(host::Env& env, const std::string& path,
                                                       const CreateOptions& create, const StoreOptions& options,
                                                       bool* created = nullptr);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  host::Arena& arena() { return *arena_; }
  host::TrackingMode tracking_mode() const { return tracker_->mode(); }
  const RestoreReport& restore_report() const { return restore_; }
  const CommitRecord& record() const { return record_; }
  StoreState state() const { return state_; }
  StoreStatistics statistics() const;

  // Takes a snapshot of the arena and makes it durable. Calls control.stop()/resume() once (twice
  // when a cut first finds too many pages, see cut_first_window_ns); all
  // copying beyond the residual set, writing and flushing happens while the world runs.
  Result<SnapshotReport> snapshot(WorldControl& control);

  // Write-back between snapshots (world running, never stopped; call it from the thread that calls
  // snapshot()): the pages written since the last cut or write-back go to fresh blocks, whose write-out
  // is started but not waited for, so that the next snapshot carries, and its flush finds on the way to
  // the disk, only the pages written after it. The pages are read
  // while the world runs, like pre-copy: a page written again is reported again and rewritten, so the
  // next cut is still consistent. No record names these blocks until that snapshot commits, so a crash
  // at any instant frees them (rules 1 and 5). Returns the pages written (0 while a lazy restore is
  // still verifying pages).
  Result<std::uint64_t> write_back(WorldControl& control);

  // Waits until a lazy restore has filled and verified every page; returns the ns it took from open.
  std::uint64_t wait_until_restored();
  // Lets a deferred lazy restore's prefetcher begin (StoreOptions::defer_background_restore). Any
  // number of calls; nothing to do after an eager restore.
  void start_background_restore();

  // The world's event log as read at open (oldest first), plus everything recorded since by this
  // process: exactly what the log holds on disk (queued events appear once a commit has written
  // them; the oldest drop out at the bound of max_log_blocks blocks). A copy; thread-safe.
  std::vector<Event> events() const;
  // Makes `events` durable now, without a snapshot: their log block(s) are written and flushed, then a
  // commit record naming the same snapshots as the current one (next generation) is written and
  // flushed. Events queued with queue_event() go first. Numbers are assigned here; texts longer than
  // max_event_text are cut. Safe to call from any thread while the world runs: it waits for a snapshot
  // commit in progress (never runs concurrently with the commit part of snapshot()). It does not wait
  // for a lazy restore (the record adds nothing unverified), except when the restored snapshot is the
  // only one the current record names (retention 1): then the other slot's record holds the fallback
  // a damaged restore needs, and this record would overwrite it. Returns the events as numbered. A failure before the commit record is written (no space, a failed write or
  // flush of the log blocks) leaves the disk and the store as they were: the queued events stay queued
  // and the store stays usable. A failed write or flush of the commit record itself moves the store to
  // `failed`, as it does for a snapshot: the slot's contents are then unknown.
  Result<std::vector<Event>> record_events(std::vector<Event> events);
  // Queues an event for the next commit (a snapshot's commit or record_events()). Thread-safe, cheap,
  // never blocks on I/O. The snapshot commit writes the log block together with its data and nodes,
  // before the flush that precedes its commit record (commit rule 2), so it costs no extra flush. At
  // most max_queued_events wait; beyond that the oldest queued one is dropped (the log could not hold
  // more at once anyway).
  void queue_event(Event event);
  static constexpr std::size_t max_queued_events = 2048;

 private:
  // Serves first touches during a lazy restore (called on the tracker's fault-handler thread).
  class LazySource final : public host::PageSource {
   public:
    explicit LazySource(Store& store) : store_(store) {}
    void fill_page(std::uint64_t page, std::byte* out) override;

   private:
    Store& store_;
  };

  Store(host::Env& env, std::unique_ptr<host::BlockDevice> device, const StoreOptions& options);
  Status restore(const SlotState& slots, bool lazy);
  Status fill_eagerly(const PageTable& table);
  Status verify_newest_changes(const PageTable& table, const SlotState& slots);
  void prefetch();
  [[noreturn]] void lazy_restore_failed(const Error& error);
  Status recover_if_needed(const SlotState& slots);
  // at_open: older retained snapshots are learnt as their difference from the restored one (table_).
  Status rebuild_free_map(bool at_open = false);
  void mark_log_blocks_used();
  Status update_free_map(std::uint64_t seq);
  std::pair<std::uint64_t, bool> lowest_reachable_seq() const;
  void free_superseded(std::uint64_t lowest);
  Status remember_blocks(std::uint64_t seq, const Ref& root, const PageTable* reference = nullptr);
  Result<Extent> allocate(std::uint64_t want);
  Status write_pages(const std::vector<std::uint64_t>& pages, const std::byte* staged, SnapshotReport& report);
  bool stage(std::uint64_t page, std::uint64_t capacity);
  std::uint64_t reserve_staging(std::uint64_t pages);
  Result<std::unique_ptr<host::Arena>> map_arena(host::Env& env, const WorldGeometry& geometry);
  void trim_staging(std::uint64_t used_pages);
  std::uint64_t pause_staging_pages() const;
  Status precopy(const std::vector<host::PageRun>& runs, SnapshotReport& report);
  Result<SnapshotReport> run_snapshot(WorldControl& control);
  Status commit(SnapshotReport& report);
  void set_state(StoreState state);
  std::uint64_t newest_generation() const;  // the higher generation the two slots hold
  std::uint64_t image_blocks();             // the device's size, read under allocator_mutex_

  // The event log. A LogUpdate is what the next commit record names: new blocks (not yet written)
  // and the log as it will be once that record is durable.
  struct LogUpdate {
    bool changed = false;                  // the record names a new head
    std::vector<EncodedLogBlock> blocks;   // to write before the record, oldest first
    std::vector<std::uint64_t> allocated;  // blocks taken from the free map for them
    std::vector<StoredLogBlock> chain;     // the log after the commit, oldest first (when changed)
    Ref head;
    std::uint64_t next_event = 1;
    std::vector<Event> queued;             // events taken from the queue (numbered)
    std::vector<Event> recorded;           // the caller's events (numbered)
  };
  Status load_event_log(const SlotState& slots);
  Result<LogUpdate> prepare_log_update(std::vector<Event> fresh);
  void abandon_log_update(LogUpdate& update);
  void adopt_log_update(LogUpdate& update, std::uint64_t slot);
  void set_log_reach(std::uint64_t slot, std::vector<std::uint64_t> blocks);

  host::Env& env_;
  std::unique_ptr<host::BlockDevice> device_;
  Image image_;
  StoreOptions options_;
  std::unique_ptr<host::Arena> arena_;
  std::unique_ptr<host::PageTracker> tracker_;
  std::atomic<StoreState> state_{StoreState::idle};  // failed is final (set_state); record_events() may set it
  RestoreReport restore_;

  CommitRecord record_;                            // what the next commit extends (snapshots <= restored)
  std::optional<CommitRecord> on_disk_[commit_slots];  // what each slot holds now
  PageTable table_;
  BlockAllocator allocator_;
  // What one retained snapshot reaches: its tree, a copy that shares the leaf chunks with the table it
  // came from (about 33 KB for a 1 GiB world, where a list of its blocks was 2 MB and 1.3 ms of every
  // open), or a list of blocks (an older snapshot learnt by difference, below).
  struct ReachedBlocks {
    std::optional<PageTable> tree;
    std::vector<std::uint64_t> blocks;
  };
  std::map<std::uint64_t, ReachedBlocks> live_blocks_;  // seq -> blocks it reaches
  // Entries of live_blocks_ that hold only what their snapshot reaches beyond the restored one (learnt at
  // open, PageTable::collect_blocks_beyond): complete only beside that snapshot's own entry. Retention
  // drops the oldest first and the restored snapshot is the newest at open, so its entry outlives them;
  // should that ever change, rebuild_free_map() reads them again in full rather than free a live block.
  std::set<std::uint64_t> diffed_;
  std::uint64_t diff_reference_ = 0;
  // The free map after a commit, in O(changes) instead of O(live blocks) (update_free_map()): the
  // blocks each snapshot of this process superseded (pages and nodes its parent had and it replaced),
  // freed once every snapshot the slots reach is at least that new. Used once every snapshot the two
  // slots reach was committed by this process (a linear chain); until then the free map is rebuilt.
  std::vector<std::uint64_t> superseding_;                           // the snapshot being built
  std::map<std::uint64_t, std::vector<std::uint64_t>> superseded_;  // seq -> blocks it replaced
  std::set<std::uint64_t> committed_here_;
  bool incremental_free_map_ = false;
  // Staging: one slot per page written in this cycle, written out once after the pause. Its capacity
  // (staging_limit_pages) is reserved at open and touched only as it is used, never while stopped;
  // memory far beyond what the last cycle used goes back to the system (trim_staging).
  std::vector<std::byte> staging_;
  std::vector<std::uint64_t> staged_pages_;                     // slot -> page
  std::unordered_map<std::uint64_t, std::uint32_t> staging_slot_;  // page -> slot
  std::vector<std::byte> overflow_buffer_;                      // pre-copy pages beyond the limit
  // The encoded tree nodes of a commit. Kept between commits: a fresh 4 MB buffer for a thousand
  // leaves cost a page fault per node and its zeroing, about a third of their encoding time.
  std::vector<std::byte> node_buffer_;
  std::uint64_t last_residual_ = 0;
  // The most staging a cycle needed in this window and the one before (trim_staging).
  std::uint64_t staging_need_current_ = 0, staging_need_previous_ = 0, staging_window_begin_ns_ = 0;
  std::uint64_t last_collect_ns_ = 0;     // when the last cut or write-back collected written pages
  std::uint64_t last_collect_pages_ = 0;  // and how many it found
  std::uint64_t written_back_ = 0;  // pages write_back() wrote for the snapshot being built
  CleaningPlan cleaning_;  // what the next snapshot copies forward (planned after each commit)
  std::mutex commit_mutex_;     // held by commit() and record_events(): one commit record at a time
  mutable std::mutex allocator_mutex_;  // allocator_ and the device's size, used by write-out outside commits

  // The event log (event_log.h). log_ and queued_ are guarded by events_mutex_; log_ changes only
  // under commit_mutex_ as well, as do the other fields.
  mutable std::mutex events_mutex_;
  std::vector<StoredLogBlock> log_;  // the log the next commit extends, oldest first, at most max_log_blocks
  std::vector<Event> queued_;        // waiting for the next commit, not numbered yet
  std::uint64_t next_event_ = 1;
  bool log_rewrite_ = false;  // the log on disk is damaged: the next commit writes log_ afresh
  std::vector<std::uint64_t> log_reach_[commit_slots];  // log blocks each slot's record reaches (rule 5)

  // Lazy restore: the restored snapshot's page table (never changed), the prefetcher, and its end.
  LazySource lazy_source_{*this};
  std::unique_ptr<const PageTable> restored_table_;
  std::thread prefetcher_;
  std::atomic<bool> prefetch_cancel_{false};
  std::atomic<bool> prefetch_done_{true};
  std::mutex prefetch_mutex_;
  std::condition_variable prefetch_finished_;
  bool prefetch_go_ = false;  // under prefetch_mutex_
  std::condition_variable prefetch_go_signal_;
  std::uint64_t open_began_ns_ = 0;
  std::uint64_t restored_after_ns_ = 0;
};

}  // namespace phantom::store
