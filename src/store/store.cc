// Store: creating and opening worlds, restore, the free map, and the event log as read at open
// (store layer). May call: host/ only. The snapshot cycle itself, and committing events, are in
// snapshot_cycle.cc.
#include "store/store.h"

#include <algorithm>
#include <cstring>
#include <random>

#include "store/page_reader.h"
#include "store/record_rewrite.h"

namespace phantom::store {

const char* store_state_name(StoreState state) {
  switch (state) {
    case StoreState::idle: return "idle";
    case StoreState::capturing: return "capturing";
    case StoreState::writing: return "writing";
    case StoreState::flushing: return "flushing";
    case StoreState::failed: return "failed";
  }
  return "?";
}

Store::Store(host::Env& env, std::unique_ptr<host::BlockDevice> device, const StoreOptions& options)
    : env_(env), device_(std::move(device)), image_(*device_), options_(options), table_(1),
      allocator_(0, first_data_block) {}

Store::~Store() {
  prefetch_cancel_ = true;
  start_background_restore();  // a deferred prefetcher that never began ends at once
  if (prefetcher_.joinable()) prefetcher_.join();
  tracker_.reset();  // stop tracking (and the fault handler) before the arena goes away
  arena_.reset();
}

Result<std::unique_ptr<Store>> Store::create(host::Env& env, std::unique_ptr<host::BlockDevice> device,
                                             const CreateOptions& create, const StoreOptions& options) {
  if (create.arena_size == 0 || create.arena_size % page_bytes != 0 || create.arena_base % page_bytes != 0)
    return make_error(Errc::invalid_argument, "arena size and base must be non-zero multiples of 4096");
  if (create.arena_size > max_arena_size)
    return make_error(Errc::invalid_argument, "arena size {} GiB is above the limit of {} GiB", create.arena_size >> 30,
                      max_arena_size >> 30);
  if (create.retention == 0 || create.retention > max_retention)
    return make_error(Errc::invalid_argument, "retention must be between 1 and {}", max_retention);
  PHANTOM_TRY(device->grow(first_data_block));
  CommitRecord record;
  std::random_device entropy;
  for (auto& byte : record.world_id) byte = static_cast<std::uint8_t>(entropy());
  record.created_ns = env.clock().wall_ns();
  record.time_ns = record.created_ns;
  record.geometry = {create.arena_base, create.arena_size, tree_depth_for(create.arena_size / page_bytes)};
  record.image_blocks = device->size_blocks();
  record.retention = create.retention;
  // Both slots start valid and empty (generations 0 and 1), so a fresh world has a fallback too.
  Image image(*device);
  for (std::uint64_t generation = 0; generation < commit_slots; ++generation) {
    record.generation = generation;
    PHANTOM_TRY(image.write_commit_record(record));
  }
  PHANTOM_TRY(device->flush());
  return open(env, std::move(device), options);
}

// Maps the arena at the address the image records or, when that range cannot be had (a kernel with
// 39-bit addresses has no 32 TiB; another world's arena is there), wherever the host has room.
// References are offsets from the base, never addresses, so the world runs unchanged; the recorded
// address stays as it is, the place to try first next time.
Result<std::unique_ptr<host::Arena>> Store::map_arena(host::Env& env, const WorldGeometry& geometry) {
  std::string why = "as asked (--arena-anywhere)";
  if (!options_.arena_anywhere) {
    auto exact = env.reserve_arena(geometry.arena_base, geometry.arena_size);
    if (exact.ok()) return exact;
    // Only a range that cannot be had moves the arena; a size this kernel cannot map fails anywhere.
    if (exact.error().code != Errc::busy && exact.error().code != Errc::io) return exact.take_error();
    why = exact.error().message;
  }
  auto moved = env.reserve_arena(0, geometry.arena_size);
  if (!moved.ok()) return make_error(moved.error().code, "{}; nor elsewhere: {}", why, moved.error().message);
  restore_.arena_moved = true;
  restore_.warnings.push_back(fmt::format("the arena is at {}, not at its recorded {:#x}: {}", static_cast<void*>((*moved)->base()),
                                          geometry.arena_base, why));
  return moved;
}

Result<std::unique_ptr<Store>> Store::open(host::Env& env, std::unique_ptr<host::BlockDevice> device,
                                           const StoreOptions& options) {
  std::uint64_t start = env.clock().monotonic_ns();
  std::unique_ptr<Store> store(new Store(env, std::move(device), options));
  store->open_began_ns_ = start;
  PHANTOM_ASSIGN(SlotState slots, store->image_.read_slots());
  const CommitRecord& current = *slots.record[*slots.current];
  PHANTOM_ASSIGN(store->arena_, store->map_arena(env, current.geometry));
  // Lazy restore needs the tracker in place before anything touches the arena.
  bool lazy = false;
  if (options.lazy_restore && options.tracking != host::TrackingMode::mprotect && !current.snapshots.empty()) {
    // From now on a first touch must be served from the snapshot. Set before the tracker's fault
    // thread exists, so that its creation orders the store before every read of the handler (on
    // aarch64 too, where nothing else would).
    store->prefetch_done_.store(false, std::memory_order_release);
    auto tracker = env.track_writes_lazily(*store->arena_, store->lazy_source_);
    if (tracker.ok()) {
      store->tracker_ = std::move(tracker).value();
      lazy = true;
    } else {
      store->prefetch_done_.store(true, std::memory_order_release);
      store->restore_.eager_reason = tracker.error().message;
    }
  }
  PHANTOM_TRY(store->restore(slots, lazy));
  // What a one-flush commit wrote may still be only in the page cache (the process died before its
  // flush): make it durable before anything new is written, so that no later record can land on the
  // disk without it (commit rule 2 for everything open accepted).
  if (current.verify_newest) PHANTOM_TRY(store->device_->flush());
  PHANTOM_TRY(store->load_event_log(slots));
  PHANTOM_TRY(store->recover_if_needed(slots));
  PHANTOM_TRY(store->rebuild_free_map(true));
  if (!lazy) {
    PHANTOM_ASSIGN(store->tracker_, env.track_writes(*store->arena_, options.tracking));
  } else {
    store->restore_.lazy = true;
    store->restored_table_ = std::make_unique<PageTable>(store->table_);
    store->prefetcher_ = std::thread([s = store.get()] { s->prefetch(); });
    if (!options.defer_background_restore) store->start_background_restore();
  }
  // Staging: address space for the limit now (so it never moves), memory only as it is used.
  store->staging_.reserve(options.staging_limit_pages * page_bytes);
  store->restore_.restore_ns = env.clock().monotonic_ns() - start;
  return store;
}

namespace {

// A create that a crash cut short before its flush leaves either an empty file (killed between the
// file's creation and its growth, which waits for the directory's sync) or exactly the two record
// blocks (create grows the file to them first), each all zero or holding a torn record, and no data
// block: no snapshot was ever acknowledged in it. Such an image is made again rather than refused at
// every start. A file with anything else in it is never taken over; nor is a short non-empty one,
// whose bytes past its last whole block a block device cannot show.
bool interrupted_create(host::BlockDevice& device) {
  if (device.empty()) return true;
  if (device.size_blocks() != first_data_block) return false;
  Image image(device);
  if (image.read_slots().ok()) return false;
  std::array<std::byte, block_bytes> block;
  for (std::uint64_t b = 0; b < device.size_blocks(); ++b) {
    if (!device.read(b, block).ok()) return false;
    bool zero = std::all_of(block.begin(), block.end(), [](std::byte x) { return x == std::byte{0}; });
    if (!zero && !has_commit_magic(block)) return false;
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<Store>> Store::open_or_create(host::Env& env, const std::string& path,
                                                     const CreateOptions& create, const StoreOptions& options,
                                                     bool* created) {
  auto device = env.open_block_device(path, host::OpenMode::open_existing);
  if (device.ok()) {
    bool again = interrupted_create(**device);
    if (created) *created = again;
    if (again) return Store::create(env, std::move(device).value(), create, options);
    return open(env, std::move(device).value(), options);
  }
  if (device.error().code != Errc::not_found) return device.take_error();
  PHANTOM_ASSIGN(auto fresh, env.open_block_device(path, host::OpenMode::create_new));
  if (created) *created = true;
  return Store::create(env, std::move(fresh), create, options);
}

// Restore: choose the newest snapshot whose tree (and, when eager, every page) verifies, falling back
// to older snapshots of the current record, then to those only the previous record names. A lazy
// restore verifies pages in the background instead (prefetch()).
Status Store::restore(const SlotState& slots, bool lazy) {
  const CommitRecord& current = *slots.record[*slots.current];
  for (std::uint64_t slot = 0; slot < commit_slots; ++slot) {
    on_disk_[slot] = slots.record[slot];
    if (slots.problem[slot]) restore_.warnings.push_back(slots.problem[slot]->message);
  }
  restore_.generation = current.generation;
  const WorldGeometry& geometry = current.geometry;

  std::vector<std::pair<const CommitRecord*, const SnapshotEntry*>> candidates;
  for (auto it = current.snapshots.rbegin(); it != current.snapshots.rend(); ++it) candidates.push_back({&current, &*it});
  if (slots.previous) {
    const CommitRecord& previous = *slots.record[*slots.previous];
    for (auto it = previous.snapshots.rbegin(); it != previous.snapshots.rend(); ++it)
      if (!current.find(it->seq)) candidates.push_back({&previous, &*it});
  }
  record_ = current;
  keep_newest_event_log(record_, slots);
  table_ = PageTable(geometry.pages());
  if (candidates.empty()) return ok_status();  // a new world: the arena is all zero

  for (const auto& candidate : candidates) {
    const CommitRecord* record = candidate.first;
    const SnapshotEntry* entry = candidate.second;
    auto table = PageTable::load(image_, geometry.pages(), entry->root);
    Status filled = table.ok() ? ok_status() : Status(table.error());
    if (filled.ok() && record == &current && current.verify_newest && entry == &current.snapshots.back())
      filled = verify_newest_changes(table.value(), slots);
    if (filled.ok() && !lazy) filled = fill_eagerly(table.value());
    if (filled.ok()) {
      record_ = truncated_to(*record, entry->seq);
      keep_sequence_numbers_unique(record_, slots);
      keep_newest_event_log(record_, slots);  // the log survives a fall back to an older snapshot
      table_ = std::move(table.value());
      live_blocks_[entry->seq].tree.emplace(table_);
      restore_.restored_seq = entry->seq;
      restore_.restored_time_ns = entry->time_ns;
      restore_.pages_restored = table_.pages_in_use();
      return ok_status();
    }
    // Only damage moves us to an older snapshot; an I/O error may pass, and must not cost snapshots.
    if (filled.error().code != Errc::corrupt) return filled.take_error();
    restore_.warnings.push_back(fmt::format("snapshot {} is damaged and was skipped: {}", entry->seq, filled.error().message));
    ++restore_.snapshots_skipped;
    if (!lazy) {  // start the next candidate from a clean, all-zero arena, where this one was
      const auto base = reinterpret_cast<std::uint64_t>(arena_->base());
      arena_.reset();
      PHANTOM_ASSIGN(arena_, env_.reserve_arena(base, geometry.arena_size));
    }
  }
  return make_error(Errc::corrupt, "{}: no intact snapshot left: {}", image_.name(), restore_.warnings.back());
}

// A one-flush commit (store.h) wrote its record without flushing the blocks first, so a crash may
// have kept the record and lost some of them. They are the pages (and nodes) its snapshot has and the
// other slot's newest snapshot has not: that record was durable before this commit began, since every
// commit's flush returns before the next commit writes. load() has verified the nodes; this reads and
// verifies those pages, all of them when the other slot cannot serve (then every stored page is new to
// it). A mismatch is damage: restore() skips the snapshot, which was never acknowledged.
Status Store::verify_newest_changes(const PageTable& table, const SlotState& slots) {
  const CommitRecord& current = *slots.record[*slots.current];
  Ref base;  // block 0: compare with an empty tree
  if (slots.previous) {
    const CommitRecord& other = *slots.record[*slots.previous];
    if (other.generation + 1 == current.generation && !other.snapshots.empty()) base = other.snapshots.back().root;
  }
  std::vector<std::uint64_t> pages;
  PHANTOM_TRY(table.changed_pages_since(image_, base, pages));
  std::vector<PageAt> changed;
  changed.reserve(pages.size());
  for (std::uint64_t page : pages) changed.push_back({page, table.page(page)});
  // Sorted and read in runs: a commit's fresh blocks are mostly consecutive.
  PHANTOM_TRY(read_pages_in_block_order(image_, std::move(changed), [](std::uint64_t, const std::byte*) { return ok_status(); }));
  restore_.pages_verified_at_open = pages.size();
  return ok_status();
}

Status Store::fill_eagerly(const PageTable& table) {
  return read_pages_in_block_order(image_, table, [&](std::uint64_t page, const std::byte* data) {
    std::memcpy(arena_->page(page), data, page_bytes);
    return ok_status();
  });
}

// Recovery: after a torn commit record (power loss during a commit) or a skipped damaged snapshot,
// both slots are rewritten to name exactly what was restored, so the image is consistent again and
// blocks only the damaged snapshots reached become free.
Status Store::recover_if_needed(const SlotState& slots) {
  bool slot_unusable = !slots.record[0] || !slots.record[1];
  if (!slot_unusable && restore_.snapshots_skipped == 0) return ok_status();
  std::uint64_t newest_generation = slots.record[*slots.current]->generation;
  PHANTOM_ASSIGN(std::uint64_t generation,
                 rewrite_both_slots(image_, record_, newest_generation, env_.clock().wall_ns()));
  std::vector<std::uint64_t> reach = log_reach_[*slots.current];
  if (slots.previous && record_.event_log != slots.record[*slots.current]->event_log)
    reach = log_reach_[*slots.previous];  // open chose the previous record's log (its head was damaged)
  for (std::uint64_t g = generation - 1; g <= generation; ++g) {
    CommitRecord copy = record_;
    copy.generation = g;
    on_disk_[g % commit_slots] = copy;
    log_reach_[g % commit_slots] = reach;  // no log block is freed here: the free map is rebuilt next
  }
  record_.generation = generation;
  restore_.generation = generation;
  restore_.recovered = true;
  restore_.warnings.push_back(fmt::format("recovered: both commit records now name snapshot {} (generation {})",
                                          restore_.restored_seq, generation));
  return ok_status();
}

Status Store::remember_blocks(std::uint64_t seq, const Ref& root, const PageTable* reference) {
  if (live_blocks_.count(seq)) return ok_status();
  std::vector<std::uint64_t>& blocks = live_blocks_[seq].blocks;
  if (reference) {
    if (PageTable::collect_blocks_beyond(image_, record_.geometry.pages(), root, *reference, blocks).ok()) {
      diffed_.insert(seq);
      diff_reference_ = restore_.restored_seq;
      return ok_status();
    }
    blocks.clear();  // damage: the full load below says where
  }
  auto table = PageTable::load(image_, record_.geometry.pages(), root);
  // A damaged snapshot's unreadable blocks cannot be protected, and need not be: it is not restorable.
  if (table.ok()) live_blocks_[seq].tree.emplace(std::move(table).value());
  else restore_.warnings.push_back(fmt::format("snapshot {}: {}", seq, table.error().message));
  return ok_status();
}

// Commit rule 5: the free map is exactly the complement of what the two slots reach.
Status Store::rebuild_free_map(bool at_open) {
  std::vector<std::pair<std::uint64_t, Ref>> reachable;
  for (const auto& record : on_disk_)
    if (record)
      for (const SnapshotEntry& s : record->snapshots) reachable.push_back({s.seq, s.root});
  for (auto it = live_blocks_.begin(); it != live_blocks_.end();) {
    bool keep = std::any_of(reachable.begin(), reachable.end(), [&](auto& r) { return r.first == it->first; });
    it = keep ? std::next(it) : live_blocks_.erase(it);
  }
  if (!diffed_.empty() && !live_blocks_.count(diff_reference_)) {
    for (std::uint64_t seq : diffed_) live_blocks_.erase(seq);  // read again in full below
    diffed_.clear();
  }
  // At open table_ is the restored snapshot, whose entry restore() made in full.
  const PageTable* reference = at_open && live_blocks_.count(restore_.restored_seq) ? &table_ : nullptr;
  for (auto& [seq, root] : reachable) PHANTOM_TRY(remember_blocks(seq, root, reference));

  std::lock_guard lock(allocator_mutex_);
  allocator_.grow(device_->size_blocks());
  allocator_.clear();  // keeps the commit slots reserved
  auto mark = [&](std::uint64_t b) {
    if (b < allocator_.capacity()) allocator_.mark_used(b);
  };
  for (auto& [seq, reached] : live_blocks_) {
    if (reached.tree) reached.tree->for_each_block(mark);
    for (std::uint64_t b : reached.blocks) mark(b);
  }
  mark_log_blocks_used();
  return ok_status();
}

// The log blocks either slot reaches are used too (rule 5). Only a damaged or hostile image can have a
// block that is both a log block and a page or node: the log is then cut there (the snapshot is worth
// more), the block is left to the snapshot, and the next commit writes the rest of the log afresh.
void Store::mark_log_blocks_used() {
  std::vector<std::uint64_t> conflicts;
  std::set<std::uint64_t> log_blocks;
  for (const auto& reach : log_reach_) log_blocks.insert(reach.begin(), reach.end());
  for (std::uint64_t b : log_blocks) {
    if (b >= allocator_.capacity()) continue;
    if (allocator_.is_used(b)) conflicts.push_back(b);
    else allocator_.mark_used(b);
  }
  for (std::uint64_t b : conflicts) {
    for (auto& reach : log_reach_) std::erase(reach, b);
    std::lock_guard lock(events_mutex_);
    auto it = std::find_if(log_.begin(), log_.end(), [&](const StoredLogBlock& s) { return s.ref.block == b; });
    if (it == log_.end()) continue;
    log_.erase(log_.begin(), it + 1);
    log_rewrite_ = true;
    restore_.warnings.push_back(fmt::format("{}: event log damaged at block {}: the block is also used by a snapshot; "
                                            "the events before it are lost", image_.name(), b));
  }
}

// Commit rule 5 after the commit of `seq`, in O(changes). A block that snapshot d superseded was in its
// parent and is in neither d nor any later snapshot of this process (new data always goes to fresh
// blocks), so it is unreachable once every snapshot either slot reaches is d or newer, provided all
// of those were committed by this process (one linear chain). Until then (snapshots restored at open
// are still reachable, possibly beside the chain) the free map is rebuilt from the reachable trees,
// and superseded blocks that rebuild freed are forgotten, so that a block handed out again is never
// freed twice.
Status Store::update_free_map(std::uint64_t seq) {
  superseded_[seq] = std::move(superseding_);
  superseding_.clear();
  committed_here_.insert(seq);
  auto [lowest, all_here] = lowest_reachable_seq();
  if (incremental_free_map_ && all_here) {
    free_superseded(lowest);
    return ok_status();
  }
  live_blocks_[seq].tree.emplace(table_);
  PHANTOM_TRY(rebuild_free_map());
  for (auto it = superseded_.begin(); it != superseded_.end();) {
    std::erase_if(it->second, [&](std::uint64_t b) { return b >= allocator_.capacity() || !allocator_.is_used(b); });
    it = it->first <= lowest || it->second.empty() ? superseded_.erase(it) : std::next(it);
  }
  if (all_here) {
    incremental_free_map_ = true;
    live_blocks_.clear();
    diffed_.clear();
  }
  return ok_status();
}

// The lowest snapshot either slot names, and whether every snapshot they name was committed here.
std::pair<std::uint64_t, bool> Store::lowest_reachable_seq() const {
  std::uint64_t lowest = ~0ull;
  bool all_here = true;
  for (const auto& record : on_disk_)
    if (record)
      for (const SnapshotEntry& s : record->snapshots) {
        lowest = std::min(lowest, s.seq);
        all_here = all_here && committed_here_.count(s.seq) > 0;
      }
  return {lowest, all_here};
}

// Frees what snapshots up to `lowest` superseded: no snapshot either slot names reaches it any more.
void Store::free_superseded(std::uint64_t lowest) {
  std::lock_guard lock(allocator_mutex_);
  for (auto it = superseded_.begin(); it != superseded_.end() && it->first <= lowest; it = superseded_.erase(it))
    for (std::uint64_t block : it->second) allocator_.mark_free(block);
  std::erase_if(committed_here_, [&](std::uint64_t s) { return s < lowest; });
}

// Called from the snapshot's write-out and, under commit_mutex_, from any commit (record_events() too).
Result<Extent> Store::allocate(std::uint64_t want) {
  std::lock_guard lock(allocator_mutex_);
  if (auto extent = allocator_.allocate(want)) return *extent;
  // No free segment: grow the image by a sixteenth (at least one segment and what is wanted), in whole
  // segments. Small steps, because the cleaner keeps recovering space; growth is cheap (fallocate).
  std::uint64_t capacity = allocator_.capacity();
  std::uint64_t grow_by = std::max<std::uint64_t>({want, capacity / 16, segment_blocks});
  grow_by = (capacity + grow_by + segment_blocks - 1) / segment_blocks * segment_blocks - capacity;
  PHANTOM_TRY(device_->grow(capacity + grow_by));
  allocator_.grow(capacity + grow_by);
  auto extent = allocator_.allocate(want);
  if (!extent) return make_error(Errc::no_space, "{}: no free block after growing", image_.name());
  return *extent;
}

std::uint64_t Store::newest_generation() const {
  std::uint64_t newest = 0;
  for (const auto& r : on_disk_)
    if (r) newest = std::max(newest, r->generation);
  return newest;
}

std::uint64_t Store::image_blocks() {
  std::lock_guard lock(allocator_mutex_);
  return device_->size_blocks();
}

StoreStatistics Store::statistics() const {
  StoreStatistics s;
  std::lock_guard lock(allocator_mutex_);
  s.image_blocks = device_->size_blocks();
  s.used_blocks = allocator_.used();
  s.pages_in_use = table_.pages_in_use();
  s.snapshots_retained = record_.snapshots.size();
  s.last_seq = record_.snapshots.empty() ? 0 : record_.snapshots.back().seq;
  return s;
}

// The log as open finds it: the newest of the valid slots (keep_newest_event_log), or, when its chain is
// damaged, its intact newer part (or the previous record's log, when its head block is damaged). A
// damaged log never stops the open: it warns, and the next commit writes the intact part afresh.
Status Store::load_event_log(const SlotState& slots) {
  PHANTOM_ASSIGN(WorldEventLog log, read_world_event_log(image_, slots));
  for (std::string& problem : log.problems) restore_.warnings.push_back(std::move(problem));
  for (std::uint64_t slot = 0; slot < commit_slots; ++slot) log_reach_[slot] = std::move(log.reached[slot]);
  record_.event_log = log.head;
  record_.next_event = log.next_number;
  next_event_ = log.next_number;
  log_rewrite_ = log.chain.damage.has_value();
  std::lock_guard lock(events_mutex_);
  log_ = std::move(log.chain.blocks);
  for (const StoredLogBlock& b : log_) restore_.events_restored += b.block.events.size();
  return ok_status();
}

std::vector<Event> Store::events() const {
  std::lock_guard lock(events_mutex_);
  std::vector<Event> out;
  for (const StoredLogBlock& b : log_) out.insert(out.end(), b.block.events.begin(), b.block.events.end());
  return out;
}

void Store::queue_event(Event event) {
  event.number = 0;  // assigned at the commit
  limit_event_text(event.text);
  std::lock_guard lock(events_mutex_);
  queued_.push_back(std::move(event));
  if (queued_.size() > max_queued_events) queued_.erase(queued_.begin());
}

}  // namespace phantom::store
