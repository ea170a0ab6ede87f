// Snapshot cycle: pre-copy, the stop-the-world cut, write-out and commit (store layer).
// May call: host/ only. Keeps commit rules 1-5 of store.h.
//
// How one snapshot is taken:
//   1. Pre-copy (world running): collect written pages and copy each into its staging slot; a page
//      written again is reported again and copied again into the same slot. Rounds repeat until one
//      finds few pages. Copying runs at memory speed, so rounds converge even when the world writes
//      faster than the disk; pages beyond the staging limit are written to disk at once instead.
//      A snapshot soon after a small cut or write-back skips this step (cut first): few pages can
//      have been written since, and each scan of the page tables costs a fixed fraction of a ms.
//   2. Pause: stop the world, collect the residual written pages, copy them into staging (or, past
//      the staging memory touched in advance, write them straight from the arena), resume. This is
//      the whole pause. A cut first that finds many pages resumes at once and goes back to step 1.
//   3. Write-out (world running): every staged page once, to fresh blocks, then the dirty tree nodes.
//   4. Commit: the queued events' log block(s) go out with the nodes; flush, write the commit record
//      to the older slot, flush again (rules 2-4; a small commit flushes only once, store.h), then
//      bring the free map up to date with what the two slots reach (rule 5, update_free_map()).
//
// record_events() is a commit without a snapshot: log blocks, flush, a record naming the same
// snapshots, flush. It takes commit_mutex_ as commit() does, so it never interleaves with a snapshot's
// commit, but it may run during a snapshot's capture and write-out, which take blocks from the same
// free map (under allocator_mutex_) and never change the record.
#include <algorithm>
#include <cstring>

#include "store/store.h"
#include "util/checksum.h"

namespace phantom::store {
namespace {

constexpr std::uint64_t precopy_chunk_pages = 1024;  // 4 MiB per gather-write
// The largest commit that flushes once (commit rule 2): open reads back at most this many pages
// (1 MiB) before it uses such a snapshot. Larger commits spend milliseconds writing anyway.
constexpr std::uint64_t one_flush_commit_blocks = 256;
constexpr std::uint64_t writeout_min_pages = 64;  // fewer: the commit's flush writes them (run_snapshot)
constexpr std::uint64_t staging_trim_window_ns = 2'000'000'000;  // see trim_staging

std::uint64_t count_pages(const std::vector<host::PageRun>& runs) {
  std::uint64_t n = 0;
  for (const host::PageRun& r : runs) n += r.count;
  return n;
}

// Writes (block, data) pairs, coalescing consecutive blocks into one gather-write each.
Status write_blocks(host::BlockDevice& device, std::vector<std::pair<std::uint64_t, const std::byte*>>& blocks,
                    SnapshotReport& report) {
  std::sort(blocks.begin(), blocks.end());
  std::vector<host::WritePiece> pieces;
  for (std::size_t i = 0; i < blocks.size();) {
    std::size_t j = i;
    pieces.clear();
    while (j < blocks.size() && blocks[j].first == blocks[i].first + (j - i)) {
      pieces.push_back({blocks[j].second, block_bytes});
      ++j;
    }
    PHANTOM_TRY(device.write(blocks[i].first, pieces));
    report.bytes_written += pieces.size() * block_bytes;
    ++report.write_calls;
    i = j;
  }
  return ok_status();
}

}  // namespace

// Gives each page a fresh block (rule 1), writes it, and points the page table at it.
Status Store::write_pages(const std::vector<std::uint64_t>& pages, const std::byte* staged, SnapshotReport& report) {
  std::vector<std::pair<std::uint64_t, const std::byte*>> blocks;
  blocks.reserve(pages.size());
  std::size_t next = 0;
  while (next < pages.size()) {
    PHANTOM_ASSIGN(Extent extent, allocate(pages.size() - next));
    for (std::uint64_t i = 0; i < extent.count; ++i, ++next) {
      const std::byte* data = staged ? staged + next * page_bytes : arena_->page(pages[next]);
      blocks.push_back({extent.first + i, data});
      Ref old = table_.set_page(pages[next], Ref{extent.first + i, page_checksum(data, pages[next])});
      if (old.block != 0) superseding_.push_back(old.block);
    }
  }
  report.data_blocks += pages.size();
  return write_blocks(*device_, blocks, report);
}

// Copies a written page into its staging slot (a new one the first time in this cycle). Returns false
// when staging has no room within `capacity` pages.
bool Store::stage(std::uint64_t page, std::uint64_t capacity) {
  auto [slot, fresh] = staging_slot_.try_emplace(page, static_cast<std::uint32_t>(staged_pages_.size()));
  if (fresh) {
    if (staged_pages_.size() >= capacity) {
      staging_slot_.erase(slot);
      return false;
    }
    staged_pages_.push_back(page);
  }
  std::memcpy(staging_.data() + std::uint64_t(slot->second) * page_bytes, arena_->page(page), page_bytes);
  return true;
}

// Makes `pages` of staging memory usable (touched), within the limit; never called while stopped.
std::uint64_t Store::reserve_staging(std::uint64_t pages) {
  pages = std::min(pages, options_.staging_limit_pages);
  if (staging_.size() < pages * page_bytes) staging_.resize(pages * page_bytes);  // capacity reserved at open
  return staging_.size() / page_bytes;
}

// The staging the pause may fill without waiting for the disk: twice the last residual, and at least
// what a cut first may find before it gives up (precopy_target_pages).
std::uint64_t Store::pause_staging_pages() const {
  return std::max(last_residual_ * 2, options_.precopy_target_pages);
}

// Gives staging memory back to the system when recent cycles used much less than is touched: a
// world's first snapshot stages its whole boot (4 MiB for an idle world, most of its resident memory)
// and later ones of an idle world stage a few pages. A cycle needs twice its use, and never less than
// the next pause reserves beyond it; the need is the most any cycle needed in the last two to four
// seconds (two windows of staging_trim_window_ns), and staging is trimmed to it only when it is below
// a quarter of what is touched, since the trim touches what it keeps again (a page fault costs about
// 10 us on this VM). Trimming after every quieter cycle made a busy world fault its staging in again
// and again, and trimming below the pause's reserve made every cycle of an idle world fault it in:
// 10-35 ms per snapshot, most of the output-commit latency.
void Store::trim_staging(std::uint64_t used_pages) {
  const std::uint64_t need = std::max(2 * used_pages, used_pages + pause_staging_pages());
  const std::uint64_t now = env_.clock().monotonic_ns();
  if (now - staging_window_begin_ns_ > staging_trim_window_ns) {
    staging_need_previous_ = staging_need_current_;
    staging_need_current_ = 0;
    staging_window_begin_ns_ = now;
  }
  staging_need_current_ = std::max(staging_need_current_, need);
  const std::uint64_t keep = std::max(staging_need_current_, staging_need_previous_) * page_bytes;
  if (staging_.size() <= 4 * keep) return;
  // Freed and reserved again (memory only as it is touched): plain C++, no host call in the store.
  std::vector<std::byte>().swap(staging_);
  staging_.reserve(options_.staging_limit_pages * page_bytes);
  staging_.resize(keep);
}

// Pre-copy round: stages written pages; what does not fit is written to disk straight away.
Status Store::precopy(const std::vector<host::PageRun>& runs, SnapshotReport& report) {
  std::vector<std::uint64_t> overflow;
  for (const host::PageRun& run : runs) {
    std::uint64_t capacity = reserve_staging(staged_pages_.size() + run.count);
    for (std::uint64_t page = run.first; page < run.first + run.count; ++page)
      if (!stage(page, capacity)) overflow.push_back(page);
  }
  const std::uint64_t begin = env_.clock().monotonic_ns();
  for (std::size_t i = 0; i < overflow.size(); i += precopy_chunk_pages) {
    std::size_t n = std::min<std::size_t>(precopy_chunk_pages, overflow.size() - i);
    std::vector<std::uint64_t> chunk(overflow.begin() + i, overflow.begin() + i + n);
    if (overflow_buffer_.size() < n * page_bytes) overflow_buffer_.resize(precopy_chunk_pages * page_bytes);
    for (std::size_t k = 0; k < n; ++k) std::memcpy(overflow_buffer_.data() + k * page_bytes, arena_->page(chunk[k]), page_bytes);
    PHANTOM_TRY(write_pages(chunk, overflow_buffer_.data(), report));
  }
  report.write_ns += env_.clock().monotonic_ns() - begin;
  return ok_status();
}

Result<std::uint64_t> Store::write_back(WorldControl& control) {
  if (state_ == StoreState::failed)
    return make_error(Errc::failed_state, "{}: an earlier write failed; reopen the world to continue", image_.name());
  if (!prefetch_done_.load()) return std::uint64_t{0};  // never write on top of unverified pages
  std::vector<host::PageRun> runs;
  Status done = tracker_->collect_below(runs, control.written_extent());
  std::uint64_t pages = 0;
  SnapshotReport report;  // counts only; the snapshot reports written_back_
  for (std::size_t r = 0; done.ok() && r < runs.size(); ++r) {
    for (std::uint64_t page = runs[r].first; done.ok() && page < runs[r].first + runs[r].count;) {
      std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(precopy_chunk_pages, runs[r].first + runs[r].count - page));
      std::vector<std::uint64_t> chunk(n);
      if (overflow_buffer_.size() < n * page_bytes) overflow_buffer_.resize(precopy_chunk_pages * page_bytes);
      for (std::size_t k = 0; k < n; ++k) {
        chunk[k] = page + k;
        std::memcpy(overflow_buffer_.data() + k * page_bytes, arena_->page(page + k), page_bytes);
      }
      done = write_pages(chunk, overflow_buffer_.data(), report);
      page += n;
      pages += n;
    }
  }
  // Flushed in the background: a snapshot that starts meanwhile need not wait, and its own flush
  // finds these pages already on their way (measured: docs/store.md, "Write-back").
  if (done.ok() && pages > 0) device_->start_writeout();
  if (!done.ok()) {  // a write that failed leaves the page table naming blocks that may be torn
    set_state(StoreState::failed);
    return done.take_error();
  }
  written_back_ += pages;
  last_collect_ns_ = env_.clock().monotonic_ns();
  last_collect_pages_ = pages;
  return pages;
}

Result<SnapshotReport> Store::snapshot(WorldControl& control) {
  if (state_ == StoreState::failed)
    return make_error(Errc::failed_state, "{}: an earlier write failed; reopen the world to continue", image_.name());
  wait_until_restored();  // never commit on top of pages a lazy restore has not verified yet
  auto result = run_snapshot(control);
  set_state(result.ok() ? StoreState::idle : StoreState::failed);
  return result;
}

// failed is final: a snapshot in progress must not leave it when record_events() failed meanwhile.
void Store::set_state(StoreState state) {
  StoreState current = state_.load();
  do {
    if (current == StoreState::failed) return;
  } while (!state_.compare_exchange_weak(current, state));
  if (options_.on_state_change) options_.on_state_change(state);
}

Result<SnapshotReport> Store::run_snapshot(WorldControl& control) {
  host::Clock& clock = env_.clock();
  const std::uint64_t start = clock.monotonic_ns();
  SnapshotReport report;
  report.seq = record_.next_seq;
  // superseding_ already holds the blocks that write_back() replaced for this snapshot.
  report.written_back_pages = written_back_;
  set_state(StoreState::capturing);

  // The cleaner's plan: copy these pages and nodes forward, as if they had been written.
  if (!cleaning_.empty()) {
    std::uint64_t capacity = reserve_staging(cleaning_.pages.size());
    std::vector<std::uint64_t> unstaged;
    for (std::uint64_t page : cleaning_.pages)
      if (!stage(page, capacity)) unstaged.push_back(page);
    if (!unstaged.empty()) PHANTOM_TRY(write_pages(unstaged, nullptr, report));
    for (auto [level, index] : cleaning_.nodes) table_.rewrite_node(level, index);
    report.cleaned_pages = cleaning_.pages.size();
    report.cleaned_nodes = cleaning_.nodes.size();
    cleaning_ = {};
  }

  std::vector<host::PageRun> runs;
  runs.reserve(1024);
  report.cut_first = last_collect_ns_ != 0 && start - last_collect_ns_ <= options_.cut_first_window_ns &&
                     last_collect_pages_ <= options_.precopy_target_pages;
  std::uint64_t residual = 0;
  std::vector<std::uint64_t> unstaged_pages;
  for (bool precopy_first = !report.cut_first;; precopy_first = true) {
    for (std::uint32_t round = 0; precopy_first && round < options_.precopy_max_rounds; ++round) {
      runs.clear();
      PHANTOM_TRY(tracker_->collect_below(runs, control.written_extent()));
      std::uint64_t n = count_pages(runs);
      if (n == 0) break;
      PHANTOM_TRY(precopy(runs, report));
      ++report.precopy_rounds;
      report.precopy_pages += n;
      if (n <= options_.precopy_target_pages) break;
    }

    // The pause. Nothing in here waits for the disk unless staging is full, and staging memory was
    // touched above; the only allocations are small index entries for residual pages.
    const std::uint64_t capacity =
        reserve_staging(staged_pages_.size() + pause_staging_pages());
    runs.clear();
    const std::uint64_t stop_begin = clock.monotonic_ns();
    control.stop();
    const std::uint64_t stopped = clock.monotonic_ns();
    Status cut = tracker_->collect_below(runs, control.written_extent());  // read while stopped: final
    residual = count_pages(runs);
    // A cut first that finds more than a pre-copy round would leave: resume now and copy them while
    // the world runs (the scan protected them again, so a later write is seen by the next scan).
    const bool abandon = cut.ok() && !precopy_first && residual > options_.precopy_target_pages;
    if (cut.ok() && !abandon) {
      for (const host::PageRun& run : runs)
        for (std::uint64_t page = run.first; page < run.first + run.count; ++page)
          if (!stage(page, capacity)) unstaged_pages.push_back(page);
      if (!unstaged_pages.empty()) cut = write_pages(unstaged_pages, nullptr, report);
    }
    control.resume();
    const std::uint64_t resumed = clock.monotonic_ns();
    PHANTOM_TRY(std::move(cut));
    report.stop_ns = std::max(report.stop_ns, stopped - stop_begin);
    report.pause_ns = std::max(report.pause_ns, resumed - stop_begin);
    if (!abandon) break;
    ++report.cuts_abandoned;
    PHANTOM_TRY(precopy(runs, report));
    ++report.precopy_rounds;
    report.precopy_pages += residual;
  }
  report.residual_pages = residual;
  report.unstaged_pages = unstaged_pages.size();
  last_residual_ = residual;
  last_collect_ns_ = clock.monotonic_ns();
  last_collect_pages_ = residual;

  set_state(StoreState::writing);
  const std::uint64_t write_begin = clock.monotonic_ns();
  PHANTOM_TRY(write_pages(staged_pages_, staging_.data(), report));
  const bool few_pages = staged_pages_.size() < writeout_min_pages;
  trim_staging(staged_pages_.size());
  staged_pages_.clear();
  staging_slot_.clear();
  report.write_ns += clock.monotonic_ns() - write_begin;
  // The data pages go to the disk in the background while the tree nodes are encoded (a few ms for a
  // thousand leaves); the commit's flush then waits for that and flushes the nodes. Measured with
  // `phantom_bench --only snapshot.writeout`, 1 GiB: 1% dirty 0.41 -> 0.49 of the sequential write,
  // 10% dirty 0.63 -> 0.70 (docs/store.md, "Write-out"). A few pages are not worth waking the
  // device's flusher thread for: the commit's flush would wait for its hand-over.
  if (!few_pages) device_->start_writeout();

  PHANTOM_TRY(commit(report));
  report.total_ns = clock.monotonic_ns() - start;
  return report;
}

Status Store::commit(SnapshotReport& report) {
  std::lock_guard commit_lock(commit_mutex_);
  if (state_ == StoreState::failed)  // a record_events() commit record failed meanwhile
    return make_error(Errc::failed_state, "{}: an earlier write failed; reopen the world to continue", image_.name());
  host::Clock& clock = env_.clock();
  const std::uint64_t write_begin = clock.monotonic_ns();

  // Dirty nodes, leaves first; each gets a fresh block (rule 1).
  if (node_buffer_.size() < table_.dirty_nodes() * block_bytes) node_buffer_.resize(table_.dirty_nodes() * block_bytes);
  std::vector<std::byte>& node_buffer = node_buffer_;
  std::vector<std::pair<std::uint64_t, const std::byte*>> node_blocks;
  node_blocks.reserve(table_.dirty_nodes());
  PHANTOM_TRY(table_.write_dirty_nodes(report.seq, [&](const Node& node) -> Result<Ref> {
    PHANTOM_ASSIGN(Extent extent, allocate(1));
    std::byte* out = node_buffer.data() + node_blocks.size() * block_bytes;
    std::uint64_t sum = encode_node(node, std::span<std::byte, block_bytes>(out, block_bytes));
    node_blocks.push_back({extent.first, out});
    return Ref{extent.first, sum};
  }, &superseding_));
  report.node_blocks = node_blocks.size();
  // The queued events go out with the nodes, before the flush that precedes the record (rule 2).
  PHANTOM_ASSIGN(LogUpdate log, prepare_log_update({}));
  for (const EncodedLogBlock& b : log.blocks) node_blocks.push_back({b.stored.ref.block, b.bytes.data()});
  PHANTOM_TRY(write_blocks(*device_, node_blocks, report));
  report.write_ns += clock.monotonic_ns() - write_begin;

  set_state(StoreState::flushing);
  const std::uint64_t flush_begin = clock.monotonic_ns();
  // Rule 2: everything the record names is durable first, unless open can check it instead (a
  // one-flush commit: few blocks, none of the event log's, and an image of the size the last
  // record named, so that every block it names can be read back at open). The new record must also
  // name a snapshot to fall back to besides its own, which recovery cannot take away: so never the
  // first snapshot of a world, nor with retention 1, where after a skipped snapshot only the other
  // slot would name one and recovery overwrites that slot first (both found by the spin model,
  // docs/verification.md).
  report.one_flush = written_back_ + report.data_blocks + report.node_blocks <= one_flush_commit_blocks &&
                     log.blocks.empty() && image_blocks() == record_.image_blocks && !record_.snapshots.empty() &&
                     record_.retention >= 2;
  if (!report.one_flush) PHANTOM_TRY(device_->flush());

  CommitRecord next = record_;
  next.verify_newest = report.one_flush;
  next.generation = newest_generation() + 1;
  next.time_ns = env_.clock().wall_ns();
  next.image_blocks = image_blocks();
  next.next_seq = report.seq + 1;
  next.event_log = log.head;
  next.next_event = log.next_event;
  SnapshotEntry entry;
  entry.seq = report.seq;
  entry.parent_seq = record_.snapshots.empty() ? 0 : record_.snapshots.back().seq;
  entry.time_ns = next.time_ns;
  entry.root = table_.root();
  entry.pages_in_use = table_.pages_in_use();
  entry.data_blocks_written = report.data_blocks + written_back_;
  entry.node_blocks_written = report.node_blocks;
  next.snapshots.push_back(entry);
  while (next.snapshots.size() > next.retention) next.snapshots.erase(next.snapshots.begin());

  PHANTOM_TRY(image_.write_commit_record(next));  // rule 3: the older slot
  PHANTOM_TRY(device_->flush());                   // rule 4 (and rule 2 in a one-flush commit)
  report.flush_ns = clock.monotonic_ns() - flush_begin;
  report.generation = next.generation;

  on_disk_[next.generation % commit_slots] = next;
  adopt_log_update(log, next.generation % commit_slots);
  written_back_ = 0;
  record_ = std::move(next);
  PHANTOM_TRY(update_free_map(report.seq));  // rule 5
  // Keep enough whole segments free for about two snapshots like this one (its pages, written back
  // or not, cleaned or not, and the nodes), and spare ones; copy about as much as that, at least a
  // segment's worth. The spare is four segments, but one for a world that itself writes less than an
  // eighth of a segment per snapshot: a segment lasts it eight snapshots, and keeping four free in
  // its small image meant cleaning all the time (docs/store.md, "Segments and the cleaner").
  const std::uint64_t written = report.written_back_pages + report.data_blocks + report.node_blocks;
  const std::uint64_t spare = written - report.cleaned_pages < segment_blocks / 8 ? 1 : 4;
  cleaning_ = plan_cleaning(table_, allocator_, 2 * written / segment_blocks + spare, std::max<std::uint64_t>(written, segment_blocks));
  return ok_status();
}

// The blocks the next commit record's log needs: queued events first, then `fresh`, numbered from
// next_event_. The new events go into a copy of the head block when they fit (the old head is then
// superseded), otherwise into new blocks linked to it; a damaged log is written afresh from its intact
// part. Only the newest max_log_blocks blocks are kept. Nothing is written here; the blocks are taken
// from the free map (rule 1) and given back by abandon_log_update() if the commit does not happen.
Result<Store::LogUpdate> Store::prepare_log_update(std::vector<Event> fresh) {
  LogUpdate update;
  update.head = record_.event_log;
  update.next_event = next_event_;
  std::vector<StoredLogBlock> chain;
  {
    std::lock_guard lock(events_mutex_);
    update.queued = std::move(queued_);
    queued_.clear();
    // Most snapshots carry no event: they copy nothing, and the record names the same head.
    if (update.queued.empty() && fresh.empty() && !log_rewrite_) return update;
    chain = log_;
  }
  update.changed = true;
  std::uint64_t number = next_event_;
  for (Event& e : update.queued) e.number = number++;
  for (Event& e : fresh) {
    limit_event_text(e.text);
    e.number = number++;
  }
  update.recorded = std::move(fresh);
  update.next_event = number;
  std::vector<Event> pending = update.queued;
  pending.insert(pending.end(), update.recorded.begin(), update.recorded.end());

  // What the new blocks hold, what they link to, and which old blocks stay.
  std::vector<std::vector<Event>> runs;
  Ref tail;
  if (log_rewrite_ || chain.empty()) {
    std::vector<Event> all;
    for (const StoredLogBlock& b : chain) all.insert(all.end(), b.block.events.begin(), b.block.events.end());
    all.insert(all.end(), pending.begin(), pending.end());
    runs = pack_events(all);
    chain.clear();
  } else {
    const StoredLogBlock& head = chain.back();
    std::vector<Event> combined = head.block.events;
    combined.insert(combined.end(), pending.begin(), pending.end());
    runs = pack_events(combined);
    if (runs.front().size() == head.block.events.size()) {  // nothing new fits: keep the head as it is
      runs.erase(runs.begin());
      tail = head.ref;
    } else {  // the head is superseded by its copy with the new events
      tail = head.block.link;
      chain.pop_back();
    }
  }
  if (runs.size() >= max_log_blocks) {  // the new events alone fill the log: only their newest stay
    runs.erase(runs.begin(), runs.end() - max_log_blocks);
    chain.clear();
    tail = {};
  } else if (chain.size() + runs.size() > max_log_blocks) {
    chain.erase(chain.begin(), chain.end() - (max_log_blocks - runs.size()));  // no longer followed
  }

  auto encoded = encode_log_chain(runs, tail, [&]() -> Result<std::uint64_t> {
    PHANTOM_ASSIGN(Extent extent, allocate(1));
    update.allocated.push_back(extent.first);
    return extent.first;
  });
  if (!encoded.ok()) {
    abandon_log_update(update);
    return encoded.take_error();
  }
  update.blocks = std::move(encoded).value();
  for (const EncodedLogBlock& b : update.blocks) chain.push_back(b.stored);
  update.head = chain.empty() ? Ref{} : chain.back().ref;
  update.chain = std::move(chain);
  return update;
}

// The commit did not happen: its blocks go back to the free map (no record names them) and its queued
// events back to the front of the queue, unnumbered.
void Store::abandon_log_update(LogUpdate& update) {
  {
    std::lock_guard lock(allocator_mutex_);
    for (std::uint64_t b : update.allocated) allocator_.mark_free(b);
  }
  update.allocated.clear();
  std::lock_guard lock(events_mutex_);
  for (Event& e : update.queued) e.number = 0;
  queued_.insert(queued_.begin(), update.queued.begin(), update.queued.end());
  if (queued_.size() > max_queued_events) queued_.erase(queued_.begin(), queued_.end() - max_queued_events);
  update.queued.clear();
}

// The record naming `update` is durable in `slot`: it is the log now. Log blocks that only the record
// it replaced reached are free (rule 5).
void Store::adopt_log_update(LogUpdate& update, std::uint64_t slot) {
  // The log is intact now (a damaged one is always rewritten), so what a reader follows from the head
  // is exactly the chain.
  std::vector<std::uint64_t> reach;
  {
    std::lock_guard lock(events_mutex_);
    if (update.changed) {
      log_ = std::move(update.chain);
      next_event_ = update.next_event;
      log_rewrite_ = false;
    }
    for (const StoredLogBlock& b : log_) reach.push_back(b.ref.block);
  }
  set_log_reach(slot, std::move(reach));
}

void Store::set_log_reach(std::uint64_t slot, std::vector<std::uint64_t> blocks) {
  std::vector<std::uint64_t> old = std::move(log_reach_[slot]);
  log_reach_[slot] = std::move(blocks);
  std::lock_guard lock(allocator_mutex_);
  for (std::uint64_t b : old) {
    bool reached = false;
    for (const auto& reach : log_reach_) reached = reached || std::find(reach.begin(), reach.end(), b) != reach.end();
    if (!reached && b < allocator_.capacity()) allocator_.mark_free(b);
  }
}

Result<std::vector<Event>> Store::record_events(std::vector<Event> events) {
  // During a lazy restore the world runs before its snapshot is verified; a record naming the same
  // snapshots adds nothing unverified, so it need not wait, with one exception. Should the snapshot
  // turn out damaged, the fallback is an older snapshot of the current record, or, when it names none
  // (retention 1), the other slot's record, which this record would overwrite: wait for the
  // verification then, as snapshot() always does.
  if (!prefetch_done_.load()) {
    bool would_lose_fallback = false;
    {
      std::lock_guard commit_lock(commit_mutex_);
      // The new record goes to the slot the current record is not in; it loses a fallback only when
      // the current record has none of its own and that slot names an older snapshot (a world whose
      // first snapshot is its only one has none anywhere: nothing to wait for).
      const auto& overwritten = on_disk_[(newest_generation() + 1) % commit_slots];
      if (record_.snapshots.size() <= 1 && overwritten)
        for (const SnapshotEntry& s : overwritten->snapshots)
          would_lose_fallback = would_lose_fallback || s.seq < restore_.restored_seq;
    }
    if (would_lose_fallback) wait_until_restored();
  }
  std::lock_guard commit_lock(commit_mutex_);
  if (state_ == StoreState::failed)
    return make_error(Errc::failed_state, "{}: an earlier write failed; reopen the world to continue", image_.name());
  PHANTOM_ASSIGN(LogUpdate log, prepare_log_update(std::move(events)));
  if (!log.changed) return std::vector<Event>{};
  // Until the record is written, a failure leaves the disk as it was: give everything back.
  SnapshotReport counts;
  std::vector<std::pair<std::uint64_t, const std::byte*>> blocks;
  for (const EncodedLogBlock& b : log.blocks) blocks.push_back({b.stored.ref.block, b.bytes.data()});
  Status written = write_blocks(*device_, blocks, counts);
  if (written.ok()) written = device_->flush();  // rule 2
  if (!written.ok()) {
    abandon_log_update(log);
    return written.take_error();
  }
  CommitRecord next = record_;  // the same snapshots; the snapshot thread reads only next_seq meanwhile
  next.verify_newest = false;   // its snapshots' blocks were flushed by their own commits
  next.generation = newest_generation() + 1;
  next.time_ns = env_.clock().wall_ns();
  next.image_blocks = image_blocks();
  next.event_log = log.head;
  next.next_event = log.next_event;
  Status committed = image_.write_commit_record(next);  // rule 3
  if (committed.ok()) committed = device_->flush();     // rule 4
  if (!committed.ok()) {  // the slot may now hold the old record, the new one or a torn one
    set_state(StoreState::failed);
    return committed.take_error();
  }
  const std::uint64_t slot = next.generation % commit_slots;
  on_disk_[slot] = next;
  adopt_log_update(log, slot);
  record_.generation = next.generation;  // field by field: the snapshot thread may be reading next_seq
  record_.time_ns = next.time_ns;
  record_.image_blocks = next.image_blocks;
  record_.event_log = next.event_log;
  record_.next_event = next.next_event;
  // The record replaced one that may have named an older snapshot: what only that one reached is free
  // now (rule 5). Without the incremental free map the next snapshot's commit rebuilds it instead.
  auto [lowest, all_here] = lowest_reachable_seq();
  if (incremental_free_map_ && all_here) free_superseded(lowest);
  return std::move(log.recorded);
}

}  // namespace phantom::store
