// Snapshot cycle: pre-copy, the stop-the-world cut, write-out and commit (store layer).
// May call: host/ only. Keeps commit rules 1-5 of store.h.
//
// How one snapshot is taken:
//   1. Pre-copy (world running): collect written pages, copy them, write them to fresh blocks, repeat
//      until a round finds few pages. A page written again after its copy is reported again later, so
//      a stale copy is always superseded before the commit.
//   2. Pause: stop the world, collect the residual written pages, copy them to staging memory (or,
//      past the staging limit, write them straight from the arena), resume. This is the whole pause.
//   3. Write-out (world running): staged pages to fresh blocks, then the dirty tree nodes.
//   4. Commit: flush, write the commit record to the older slot, flush again (rules 2-4), then
//      rebuild the free map from what the two slots reach (rule 5).
#include <algorithm>
#include <cstring>

#include "store/store.h"
#include "util/checksum.h"

namespace phantom::store {
namespace {

constexpr std::uint64_t precopy_chunk_pages = 1024;  // 4 MiB per gather-write

std::uint64_t count_pages(const std::vector<host::PageRun>& runs) {
  std::uint64_t n = 0;
  for (const host::PageRun& r : runs) n += r.count;
  return n;
}

// Writes (block, data) pairs, coalescing consecutive blocks into one gather-write each.
Status write_blocks(host::BlockDevice& device, std::vector<std::pair<std::uint64_t, const std::byte*>>& blocks,
                    std::uint64_t& bytes_written) {
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
    bytes_written += pieces.size() * block_bytes;
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
      table_.set_page(pages[next], Ref{extent.first + i, page_checksum(data, pages[next])});
    }
  }
  report.data_blocks += pages.size();
  return write_blocks(*device_, blocks, report.bytes_written);
}

// Pre-copy: copies written pages in chunks and writes them while the world keeps running.
Status Store::copy_and_write(const std::vector<host::PageRun>& runs, SnapshotReport& report) {
  if (staging_.size() < precopy_chunk_pages * page_bytes) staging_.resize(precopy_chunk_pages * page_bytes);
  std::vector<std::uint64_t> chunk;
  chunk.reserve(precopy_chunk_pages);
  auto flush_chunk = [&]() -> Status {
    if (chunk.empty()) return ok_status();
    PHANTOM_TRY(write_pages(chunk, staging_.data(), report));
    chunk.clear();
    return ok_status();
  };
  for (const host::PageRun& run : runs) {
    for (std::uint64_t page = run.first; page < run.first + run.count; ++page) {
      std::memcpy(staging_.data() + chunk.size() * page_bytes, arena_->page(page), page_bytes);
      chunk.push_back(page);
      if (chunk.size() == precopy_chunk_pages) PHANTOM_TRY(flush_chunk());
    }
  }
  return flush_chunk();
}

Result<SnapshotReport> Store::snapshot(WorldControl& control) {
  if (state_ == StoreState::failed)
    return make_error(Errc::failed_state, "{}: an earlier write failed; reopen the world to continue", image_.name());
  wait_until_restored();  // never commit on top of pages a lazy restore has not verified yet
  auto result = run_snapshot(control);
  state_ = result.ok() ? StoreState::idle : StoreState::failed;
  return result;
}

Result<SnapshotReport> Store::run_snapshot(WorldControl& control) {
  host::Clock& clock = env_.clock();
  const std::uint64_t start = clock.monotonic_ns();
  SnapshotReport report;
  report.seq = record_.next_seq;
  state_ = StoreState::capturing;

  std::vector<host::PageRun> runs;
  for (std::uint32_t round = 0; round < options_.precopy_max_rounds; ++round) {
    runs.clear();
    PHANTOM_TRY(tracker_->collect(runs));
    std::uint64_t n = count_pages(runs);
    if (n == 0) break;
    PHANTOM_TRY(copy_and_write(runs, report));
    ++report.precopy_rounds;
    report.precopy_pages += n;
    if (n <= options_.precopy_target_pages) break;
  }
  std::uint64_t precopy_write_ns = clock.monotonic_ns() - start;

  // The pause. Nothing in here allocates memory or waits for the disk, unless staging is full.
  std::vector<std::uint64_t> staged_pages;
  std::vector<std::uint64_t> unstaged_pages;
  staged_pages.reserve(staging_.size() / page_bytes);
  runs.clear();
  runs.reserve(1024);
  const std::uint64_t stop_begin = clock.monotonic_ns();
  control.stop();
  const std::uint64_t stopped = clock.monotonic_ns();
  Status cut = tracker_->collect(runs);
  const std::uint64_t capacity = staging_.size() / page_bytes;
  if (cut.ok()) {
    for (const host::PageRun& run : runs) {
      for (std::uint64_t page = run.first; page < run.first + run.count; ++page) {
        if (staged_pages.size() < capacity) {
          std::memcpy(staging_.data() + staged_pages.size() * page_bytes, arena_->page(page), page_bytes);
          staged_pages.push_back(page);
        } else {
          unstaged_pages.push_back(page);
        }
      }
    }
    if (!unstaged_pages.empty()) cut = write_pages(unstaged_pages, nullptr, report);
  }
  control.resume();
  const std::uint64_t resumed = clock.monotonic_ns();
  PHANTOM_TRY(std::move(cut));
  report.stop_ns = stopped - stop_begin;
  report.pause_ns = resumed - stop_begin;
  report.residual_pages = staged_pages.size() + unstaged_pages.size();
  report.unstaged_pages = unstaged_pages.size();

  state_ = StoreState::writing;
  const std::uint64_t write_begin = clock.monotonic_ns();
  PHANTOM_TRY(write_pages(staged_pages, staging_.data(), report));
  // Size staging for the next pause here, outside it: room for this residual, within the limit.
  std::uint64_t want = std::min(options_.staging_limit_pages, std::max(report.residual_pages * 2, precopy_chunk_pages));
  if (want > capacity) {
    staging_.resize(want * page_bytes);
    std::memset(staging_.data(), 0, staging_.size());  // fault the memory in now, not during the pause
  }
  report.write_ns = precopy_write_ns + (clock.monotonic_ns() - write_begin);

  PHANTOM_TRY(commit(report));
  report.total_ns = clock.monotonic_ns() - start;
  return report;
}

Status Store::commit(SnapshotReport& report) {
  host::Clock& clock = env_.clock();
  const std::uint64_t write_begin = clock.monotonic_ns();

  // Dirty nodes, leaves first; each gets a fresh block (rule 1).
  std::vector<std::byte> node_buffer(table_.dirty_nodes() * block_bytes);
  std::vector<std::pair<std::uint64_t, const std::byte*>> node_blocks;
  node_blocks.reserve(table_.dirty_nodes());
  PHANTOM_TRY(table_.write_dirty_nodes(report.seq, [&](const Node& node) -> Result<Ref> {
    PHANTOM_ASSIGN(Extent extent, allocate(1));
    std::byte* out = node_buffer.data() + node_blocks.size() * block_bytes;
    std::uint64_t sum = encode_node(node, std::span<std::byte, block_bytes>(out, block_bytes));
    node_blocks.push_back({extent.first, out});
    return Ref{extent.first, sum};
  }));
  report.node_blocks = node_blocks.size();
  PHANTOM_TRY(write_blocks(*device_, node_blocks, report.bytes_written));
  report.write_ns += clock.monotonic_ns() - write_begin;

  state_ = StoreState::flushing;
  const std::uint64_t flush_begin = clock.monotonic_ns();
  PHANTOM_TRY(device_->flush());  // rule 2: everything the record names is durable first

  CommitRecord next = record_;
  std::uint64_t newest_generation = 0;
  for (const auto& r : on_disk_)
    if (r) newest_generation = std::max(newest_generation, r->generation);
  next.generation = newest_generation + 1;
  next.time_ns = env_.clock().wall_ns();
  next.image_blocks = device_->size_blocks();
  next.next_seq = report.seq + 1;
  SnapshotEntry entry;
  entry.seq = report.seq;
  entry.parent_seq = record_.snapshots.empty() ? 0 : record_.snapshots.back().seq;
  entry.time_ns = next.time_ns;
  entry.root = table_.root();
  entry.pages_in_use = table_.pages_in_use();
  entry.data_blocks_written = report.data_blocks;
  entry.node_blocks_written = report.node_blocks;
  next.snapshots.push_back(entry);
  while (next.snapshots.size() > next.retention) next.snapshots.erase(next.snapshots.begin());

  PHANTOM_TRY(image_.write_commit_record(next));  // rule 3: the older slot
  PHANTOM_TRY(device_->flush());                   // rule 4
  report.flush_ns = clock.monotonic_ns() - flush_begin;
  report.generation = next.generation;

  on_disk_[next.generation % commit_slots] = next;
  record_ = std::move(next);
  std::vector<std::uint64_t>& blocks = live_blocks_[report.seq];
  table_.collect_blocks(blocks);
  return rebuild_free_map();  // rule 5
}

}  // namespace phantom::store
