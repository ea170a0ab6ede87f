// phantom_bench: the store's benchmarks, printed as one JSON object per line (bench).
// Names and fields follow design.md "Benchmark output". Anchors are measured in the same run:
// the disk's own sequential write speed for write-out. Progress goes to stderr.
//   snapshot.pause     arena_mib, dirty_pct, threads, precopy -> p50_ms, p99_ms, p999_ms, max_ms, samples
//                      (threads=8: eight busy VM threads, time to reach their safepoint included)
//   snapshot.writeout  arena_mib, dirty_pct -> mb_per_s, seq_write_mb_per_s, ratio_to_seq; and
//                      seq_write_then_record_mb_per_s, ratio_to_seq_then_record: the anchor followed by a
//                      4 KiB record and a second flush, the least an ordered commit (data, then record) does;
//                      gather_write_mb_per_s, ratio_to_gather: the same bytes gathered from random arena pages
//                      in one pwritev run and flushed; gather_then_record_mb_per_s, ratio_to_gather_then_record:
//                      that, then the record and the second flush; gather_cold_mb_per_s, ratio_to_gather_cold:
//                      the gather written where the anchor has not written for many runs, as the store does
//   world.reopen       world_mib -> ms (open until the arena is usable), process_ms
//   snapshot.rate      arena_mib, dirty_pages -> per_s, fsync_per_s, ratio_to_fsync (small snapshots
//                      back to back, each durable before the next; the anchor: 4 KiB write + fdatasync)
#include <fcntl.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <numeric>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "classfile/assembler.h"
#include "classfile/class_writer.h"
#include "store/store.h"
#include "vm/vm.h"
#include "bench_figures.h"

using namespace phantom;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

using phantom::bench::percentile;

void emit(const nlohmann::json& line) { std::printf("%s\n", line.dump().c_str()); std::fflush(stdout); }

// A mutator that dirties a fixed number of distinct random pages per snapshot interval, spread evenly
// over 80% of the interval (so it also writes during pre-copy and write-out), and stops at safepoints
// between batches of at most 64 writes. resume() starts the next interval's budget.
class Mutator final : public store::WorldControl {
 public:
  Mutator(host::Arena& arena, std::uint64_t pages_per_interval, int interval_ms)
      : arena_(arena), budget_per_interval_(pages_per_interval),
        pages_per_ms_(pages_per_interval / (0.8 * interval_ms)), budget_(pages_per_interval) {}
  ~Mutator() override { finish(); }

  void start() { thread_ = std::thread([this] { run(); }); }
  void finish() {
    {
      std::lock_guard lock(mutex_);
      quit_ = true;
    }
    changed_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  void stop() override {
    std::unique_lock lock(mutex_);
    stop_requested_ = true;
    changed_.notify_all();
    changed_.wait(lock, [&] { return at_safepoint_; });
  }
  void resume() override {
    {
      std::lock_guard lock(mutex_);
      stop_requested_ = false;
      budget_ = budget_per_interval_;
    }
    changed_.notify_all();
  }

 private:
  void run() {
    std::mt19937_64 random(1);
    const std::uint64_t pages = arena_.pages();
    // Distinct pages: walk the arena with a stride coprime to its size, from a random start.
    std::uint64_t stride = (random() % pages) | 1;
    while (std::gcd(stride, pages) != 1) stride += 2;
    std::uint64_t cursor = random() % pages;
    double owed = 0;
    auto last = Clock::now();
    for (std::uint64_t value = 1;; ++value) {
      {
        std::unique_lock lock(mutex_);
        if (quit_) return;
        if (stop_requested_) {
          at_safepoint_ = true;
          changed_.notify_all();
          changed_.wait(lock, [&] { return !stop_requested_ || quit_; });
          at_safepoint_ = false;
          if (quit_) return;
        }
      }
      auto now = Clock::now();
      owed += pages_per_ms_ * std::chrono::duration<double, std::milli>(now - last).count();
      last = now;
      // A batch of at most 64 page writes between safepoint checks.
      for (int i = 0; i < 64 && owed >= 1 && budget_ > 0; ++i, owed -= 1, --budget_) {
        cursor = (cursor + stride) % pages;
        std::memcpy(arena_.page(cursor) + (random() % 512) * 8, &value, 8);
      }
      if (budget_ == 0) owed = 0;
      if (owed < 1) {  // idle until more is owed, but answer a stop request at once, as a VM thread would
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, std::chrono::microseconds(200), [&] { return stop_requested_ || quit_; });
      }
    }
  }

  host::Arena& arena_;
  std::uint64_t budget_per_interval_;
  double pages_per_ms_;
  std::atomic<std::uint64_t> budget_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool stop_requested_ = false, at_safepoint_ = false, quit_ = false;
};

struct Idle final : store::WorldControl {
  void stop() override {}
  void resume() override {}
};

std::unique_ptr<store::Store> fresh_world(host::Env& env, const std::string& path, std::uint64_t mib,
                                          store::StoreOptions options = {}) {
  std::filesystem::remove(path);
  // The files the last case removed are discarded by the file system at its next journal commit
  // (this VM mounts ext4 with `discard`): gigabytes of discards in flight made the next case's
  // small write-outs 3-5 times slower in one run of two. sync() commits, and so waits for them, now.
  ::sync();
  store::CreateOptions create;
  create.arena_size = mib << 20;
  auto store = store::Store::open_or_create(env, path, create, options);
  if (!store.ok()) {
    std::fprintf(stderr, "bench: %s\n", store.error().message.c_str());
    std::exit(1);
  }
  return std::move(store).value();
}

// Every page gets distinct contents, and the first snapshot holds the whole arena.
void populate(store::Store& store) {
  host::Arena& arena = store.arena();
  for (std::uint64_t p = 0; p < arena.pages(); ++p) std::memcpy(arena.page(p), &p, 8);
  Idle idle;
  auto r = store.snapshot(idle);
  if (!r.ok()) {
    std::fprintf(stderr, "bench: populate: %s\n", r.error().message.c_str());
    std::exit(1);
  }
}

void bench_pause(host::Env& env, const std::string& dir, std::uint64_t mib, int dirty_pct, bool precopy, int samples,
                 int interval_ms) {
  store::StoreOptions options;
  if (!precopy) options.precopy_max_rounds = 0;
  auto store = fresh_world(env, dir + "/pause.img", mib, options);
  populate(*store);
  std::uint64_t pages_per_interval = store->arena().pages() * dirty_pct / 100;
  Mutator mutator(store->arena(), pages_per_interval, interval_ms);
  mutator.start();
  std::vector<double> pauses, stops;
  std::uint64_t residual = 0, data_blocks = 0;
  auto next = Clock::now();
  for (int i = 0; i < samples + 2; ++i) {
    next += std::chrono::milliseconds(interval_ms);  // a fixed period, like the system's snapshot policy
    std::this_thread::sleep_until(next);
    auto r = store->snapshot(mutator);
    if (!r.ok()) {
      std::fprintf(stderr, "bench: snapshot: %s\n", r.error().message.c_str());
      std::exit(1);
    }
    if (i < 2) continue;  // warm-up: the first cycles see the population pass
    pauses.push_back(r->pause_ns / 1e6);
    stops.push_back(r->stop_ns / 1e6);
    residual += r->residual_pages;
    data_blocks += r->data_blocks;
    if (Clock::now() > next) next = Clock::now();  // the snapshot overran its period: start afresh
  }
  mutator.finish();
  emit({{"bench", "snapshot.pause"}, {"arena_mib", mib}, {"dirty_pct", dirty_pct}, {"threads", 1},
        {"precopy", precopy}, {"tracking", host::tracking_mode_name(store->tracking_mode())},
        {"p50_ms", percentile(pauses, 0.5)}, {"p99_ms", percentile(pauses, 0.99)},
        // p99.9 means something from 1,000 samples on (--pause-samples); with fewer it is the maximum.
        {"p999_ms", percentile(pauses, 0.999)},
        {"max_ms", *std::max_element(pauses.begin(), pauses.end())}, {"samples", pauses.size()},
        {"safepoint_p99_ms", percentile(stops, 0.99)}, {"residual_pages_avg", residual / pauses.size()},
        {"pages_written_avg", data_blocks / pauses.size()}, {"interval_ms", interval_ms}});
}

// Eight VM threads that allocate and mutate without pause (the kill test's self-checking worker).
// Ints are tagged, so a fresh string in field 0 each round is what allocates (and makes garbage).
constexpr const char* busy_worker = R"(.class .b.worker
.fields 3
.method run 8
  arg_count 1
  iconst_0
  i2o
  os_save8 1
  iconst_1
  i2o
  os_save8 2
loop:
  sconst_bin "a string of forty bytes, made each round"
  os_save8 0
  os_load8 1
  o2i
  const 3
  imul
  iconst_1
  isum
  os_load8 2
  o2i
  isublu
  jz ok
  sconst_bin "self-check failed"
  throw
ok:
  os_load8 1
  o2i
  iconst_1
  isum
  is_dup
  i2o
  os_save8 1
  const 3
  imul
  iconst_1
  isum
  i2o
  os_save8 2
  jmp loop
.end
)";
constexpr const char* busy_boot = R"(.class .b.boot
.method run 8
  arg_count 1
  const 8
spawn:
  os_get32 0
  summon_by_name .b.worker
  new
  call 18 1
  os_drop
  djnz spawn
  is_drop
  summon_null
  ret
.end
)";

struct BenchConsole final : vm::Console {
  void write_output(std::string_view) override {}
  void write_diagnostic(std::string_view text) override { std::fwrite(text.data(), 1, text.size(), stderr); }
  int poll_input() override { return input_eof; }
};

void bench_vm_pause(host::Env& env, const std::string& dir, std::uint64_t mib, int samples, int interval_ms) {
  std::string classes = dir + "/classes";
  std::filesystem::create_directories(classes);
  for (const char* source : {busy_worker, busy_boot}) {
    auto file = classfile::assemble(source, "bench.pa");
    if (!file.ok()) {
      std::fprintf(stderr, "bench: %s\n", file.error().message.c_str());
      std::exit(1);
    }
    auto bytes = classfile::write_class_file(*file);
    std::ofstream(classes + "/" + file->header.name.substr(1) + ".pc", std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  auto store = fresh_world(env, dir + "/vm-pause.img", mib);
  vm::Heap heap(store->arena().base(), store->arena().size());
  heap.format();
  BenchConsole console;
  vm::VmOptions options;
  options.class_path = {classes};
  options.boot_class = ".b.boot";
  vm::Vm machine(heap, env.clock(), console, options);
  if (auto booted = machine.boot(); !booted.ok()) {
    std::fprintf(stderr, "bench: %s\n", booted.error().message.c_str());
    std::exit(1);
  }
  std::thread executor([&] { machine.run(); });
  std::vector<double> pauses, stops;
  std::uint64_t pages = 0;
  for (int i = 0; i < samples + 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
    auto r = store->snapshot(machine);
    if (!r.ok()) {
      std::fprintf(stderr, "bench: snapshot: %s\n", r.error().message.c_str());
      std::exit(1);
    }
    if (i < 2) continue;
    pauses.push_back(r->pause_ns / 1e6);
    stops.push_back(r->stop_ns / 1e6);
    pages += r->data_blocks;
  }
  machine.request_exit();
  executor.join();
  emit({{"bench", "snapshot.pause"}, {"arena_mib", mib}, {"dirty_pct", nullptr}, {"threads", 8}, {"vm", true},
        {"p50_ms", percentile(pauses, 0.5)}, {"p99_ms", percentile(pauses, 0.99)},
        {"max_ms", *std::max_element(pauses.begin(), pauses.end())}, {"samples", pauses.size()},
        {"safepoint_p50_ms", percentile(stops, 0.5)}, {"safepoint_p99_ms", percentile(stops, 0.99)},
        {"pages_written_avg", pages / pauses.size()}, {"interval_ms", interval_ms},
        {"gc_runs", heap.header()->gc_runs}});
}

// The anchor: the disk's sequential write speed for the same number of bytes, measured the way the
// store writes (buffered pwrite, then fdatasync). The file is allocated once beforehand, so ext4's
// block allocation for a new file is not charged to the disk (the store overwrites blocks it reuses
// too); the median of three runs smooths this VM's noisy disk.
class SequentialAnchor {
 public:
  static constexpr std::uint64_t cold_region_bytes = 1ull << 30;
  SequentialAnchor(const std::string& path, std::uint64_t max_bytes) : path_(path), chunk_(1 << 20) {
    std::mt19937_64 random(3);
    for (auto& c : chunk_) c = static_cast<char>(random());
    fd_ = ::open(path.c_str(), O_CREAT | O_TRUNC | O_RDWR, 0644);
    size_ = std::max<std::uint64_t>(max_bytes, cold_region_bytes);
    write(size_, false);
  }
  ~SequentialAnchor() {
    ::close(fd_);
    std::filesystem::remove(path_);
  }
  double mb_per_s(std::uint64_t bytes, bool with_record = false) {
    std::vector<double> runs;
    for (int i = 0; i < 3; ++i) runs.push_back(bytes / 1e6 / (write(bytes, with_record) / 1e3));
    return percentile(runs, 0.5);
  }
  // The same bytes gathered from random pages of `arena` (the pages a snapshot of random dirtying
  // writes are scattered over the arena), written in one sequential run with pwritev, then a flush:
  // what the kernel and the disk need for those pages, none of the store's own work included.
  // with_record: then a 4 KiB record, flushed again, as in mb_per_s: the floor of any commit whose record
  // must never name data that is not on the disk.
  // cold: at the next place of a 1 GiB region instead of its start. The store never writes where the
  // last snapshots wrote (rule 1: a snapshot's blocks stay until retention frees them), so the page
  // cache pages it copies into were last touched many snapshots ago; the anchor at offset 0 rewrites
  // the same hot pages every time. `perf record` of the write-out: 88% of the store's pwritev is the
  // kernel's copy into the page cache (copy_folio_from_iter_atomic), and that copy is what the
  // destination's warmth changes (docs/store.md, "Write-out").
  double gather_mb_per_s(std::uint64_t bytes, const host::Arena& arena, std::mt19937_64& random, bool with_record = false, bool cold = false) {
    std::vector<double> runs;
    for (int i = 0; i < 3; ++i) {
      std::vector<iovec> pieces(bytes / store::page_bytes);
      for (iovec& v : pieces) v = {arena.page(random() % arena.pages()), store::page_bytes};
      if (cold && cold_next_ + bytes + (2 << 20) > size_) cold_next_ = 0;
      off_t at = cold ? static_cast<off_t>(cold_next_) : 0;
      if (cold) cold_next_ += (bytes + (2 << 20)) & ~((1ull << 20) - 1);
      auto begin = Clock::now();
      for (std::size_t k = 0; k < pieces.size(); k += IOV_MAX) {
        int n = static_cast<int>(std::min<std::size_t>(IOV_MAX, pieces.size() - k));
        ssize_t done = ::pwritev(fd_, pieces.data() + k, n, at);
        if (done < 0) break;
        at += done;
      }
      double wrote_ms = ms_since(begin);
      ::fdatasync(fd_);
      if (std::getenv("PHANTOM_BENCH_VERBOSE") && !with_record)
        std::fprintf(stderr, "  gather anchor%s: %lu bytes, write %.1f ms, flush %.1f ms\n", cold ? " cold" : "", bytes, wrote_ms, ms_since(begin) - wrote_ms);
      if (with_record) {
        if (::pwrite(fd_, chunk_.data(), 4096, at + (1 << 20)) < 0) break;
        ::fdatasync(fd_);
      }
      runs.push_back(bytes / 1e6 / (ms_since(begin) / 1e3));
    }
    return percentile(runs, 0.5);
  }

 private:
  // with_record: then a 4 KiB record after the data, flushed again, as any commit that must never name
  // data that is not on the disk does (the store's commit rules 2 and 4: the pages, then the record).
  double write(std::uint64_t bytes, bool with_record) {
    auto begin = Clock::now();
    for (std::uint64_t off = 0; off < bytes; off += chunk_.size())
      if (::pwrite(fd_, chunk_.data(), std::min<std::uint64_t>(chunk_.size(), bytes - off), static_cast<off_t>(off)) < 0)
        break;
    ::fdatasync(fd_);
    if (with_record) {
      if (::pwrite(fd_, chunk_.data(), 4096, static_cast<off_t>(bytes + (1 << 20))) < 0) return ms_since(begin);
      ::fdatasync(fd_);
    }
    return ms_since(begin);
  }
  std::string path_;
  std::vector<char> chunk_;
  int fd_;
  std::uint64_t size_ = 0, cold_next_ = 0;
};

void bench_writeout(host::Env& env, const std::string& dir, std::uint64_t mib, int dirty_pct, int samples) {
  store::StoreOptions options;
  options.precopy_max_rounds = 0;  // measure one write-out of the whole dirty set
  auto store = fresh_world(env, dir + "/writeout.img", mib, options);
  populate(*store);
  std::mt19937_64 random(2);
  Idle idle;
  std::vector<double> store_rates, seq_rates;
  SequentialAnchor anchor(dir + "/seq.bin", (mib << 20) * dirty_pct / 100 * 2 + (2 << 20));
  std::vector<double> ordered_rates, gather_rates, gather_record_rates, cold_rates;
  // Warm-up until the image has stopped growing for 6 snapshots: the steady state of a long-running
  // world, whose writes reuse blocks that retention freed. (On this VM a write into newly allocated
  // file space runs at a fraction of the speed of an overwrite; the anchor overwrites too.)
  // It also goes on until the snapshots have written as many blocks as the image holds: the image grows
  // by fallocate, whose blocks stay "unwritten" until first written, and a first write converts its
  // extent. Without this, 1% of 1 GiB ran at 364-667 MB/s in one run of three, with blocks the cleaner
  // had reached for the first time, and 1,300-1,600 MB/s in the others.
  std::uint64_t last_size = 0, blocks_written = 0;
  int stable = 0, warm_up = 0;
  for (int i = 0; warm_up + samples > i; ++i) {
    std::uint64_t pages = store->arena().pages() * dirty_pct / 100;
    for (std::uint64_t k = 0; k < pages; ++k) store->arena().page(random() % store->arena().pages())[9] = std::byte(i + 1);
    auto r = store->snapshot(idle);
    if (!r.ok()) std::exit(1);
    if (warm_up == i) {  // still warming up
      std::uint64_t size = store->statistics().image_blocks;
      stable = size == last_size ? stable + 1 : 0;
      last_size = size;
      blocks_written += r->bytes_written / store::page_bytes;
      if ((stable < 6 || blocks_written < size) && i < 400) warm_up = i + 1;
      continue;
    }
    double seconds = (r->write_ns + r->flush_ns) / 1e9;
    if (std::getenv("PHANTOM_BENCH_VERBOSE"))
      std::fprintf(stderr, "  writeout: %lu bytes in %lu calls, write %.1f ms, flush %.1f ms, image %lu blocks\n",
                   r->bytes_written, r->write_calls, r->write_ns / 1e6, r->flush_ns / 1e6, store->statistics().image_blocks);
    store_rates.push_back(r->bytes_written / 1e6 / seconds);
    seq_rates.push_back(anchor.mb_per_s(r->bytes_written));
    ordered_rates.push_back(anchor.mb_per_s(r->bytes_written, true));
    gather_rates.push_back(anchor.gather_mb_per_s(r->bytes_written, store->arena(), random));
    gather_record_rates.push_back(anchor.gather_mb_per_s(r->bytes_written, store->arena(), random, true));
    cold_rates.push_back(anchor.gather_mb_per_s(r->bytes_written, store->arena(), random, false, true));
  }
  double rate = percentile(store_rates, 0.5), seq = percentile(seq_rates, 0.5), ordered = percentile(ordered_rates, 0.5);
  double gather = percentile(gather_rates, 0.5), gather_record = percentile(gather_record_rates, 0.5);
  double gather_cold = percentile(cold_rates, 0.5);
  emit({{"bench", "snapshot.writeout"}, {"arena_mib", mib}, {"dirty_pct", dirty_pct}, {"mb_per_s", rate},
        {"seq_write_mb_per_s", seq}, {"ratio_to_seq", rate / seq}, {"seq_write_then_record_mb_per_s", ordered},
        {"ratio_to_seq_then_record", rate / ordered}, {"gather_write_mb_per_s", gather}, {"ratio_to_gather", rate / gather},
        {"gather_then_record_mb_per_s", gather_record}, {"ratio_to_gather_then_record", rate / gather_record},
        {"gather_cold_mb_per_s", gather_cold}, {"ratio_to_gather_cold", rate / gather_cold},
        {"samples", samples}, {"warm_up_snapshots", warm_up},
        {"image_mib", store->statistics().image_blocks * 4096 >> 20}});
}

// Reopen after kill -9: a child process resumes the world and mutates it, is killed, and a fresh
// process opens the world; we time the open (until the arena is usable) and the whole process start.
void bench_reopen(host::Env& env, const std::string& self, const std::string& dir, std::uint64_t mib, int samples) {
  std::string path = dir + "/reopen.img";
  {
    auto store = fresh_world(env, path, mib);
    populate(*store);
  }
  std::vector<double> open_ms, process_ms;
  for (int i = 0; i < samples; ++i) {
    pid_t victim = ::fork();
    if (victim == 0) {
      ::execl(self.c_str(), self.c_str(), "--mutate-world", path.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    ::kill(victim, SIGKILL);
    ::waitpid(victim, nullptr, 0);
    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0) std::exit(1);
    auto begin = Clock::now();
    pid_t child = ::fork();
    if (child == 0) {
      ::dup2(pipe_fds[1], 1);
      ::execl(self.c_str(), self.c_str(), "--open-world", path.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(pipe_fds[1]);
    char line[128] = {};
    ssize_t n = ::read(pipe_fds[0], line, sizeof line - 1);
    process_ms.push_back(ms_since(begin));
    ::close(pipe_fds[0]);
    ::waitpid(child, nullptr, 0);
    if (n > 0) open_ms.push_back(std::atof(line));
  }
  emit({{"bench", "world.reopen"}, {"world_mib", mib}, {"ms", percentile(open_ms, 0.5)},
        {"max_ms", *std::max_element(open_ms.begin(), open_ms.end())}, {"process_ms", percentile(process_ms, 0.5)},
        {"samples", samples}});
}

// The anchor of snapshot.rate: small durable writes per second on the same disk, each one 4 KiB
// pwrite into a preallocated file followed by fdatasync (a commit needs two such flushes).
double fsync_per_s(const std::string& path, double seconds) {
  int fd = ::open(path.c_str(), O_CREAT | O_TRUNC | O_RDWR, 0644);
  if (fd < 0) return 0;
  std::vector<char> block(4096, 'x');
  for (int i = 0; i < 256; ++i) (void)!::pwrite(fd, block.data(), block.size(), i * 4096);
  ::fdatasync(fd);
  std::uint64_t n = 0;
  auto begin = Clock::now();
  while (ms_since(begin) < seconds * 1e3) {
    block[0] = static_cast<char>(n);
    if (::pwrite(fd, block.data(), block.size(), static_cast<off_t>(n % 256) * 4096) < 0) break;
    ::fdatasync(fd);
    ++n;
  }
  double rate = n / (ms_since(begin) / 1e3);
  ::close(fd);
  std::filesystem::remove(path);
  return rate;
}

// snapshot.rate: how many small snapshots per second a world sustains when every snapshot is
// committed (durable) before the next begins, with `dirty_pages` random pages written before each:
// the rate output commit can group commits at. The arena is fully populated first, so everything the
// store does per commit in proportion to the world's size shows up. The breakdown (medians) goes
// with it: pause, write (pages and nodes), flush (two flushes and the record), other (collecting
// written pages, the free-map rebuild and the cleaner's plan after the commit).
void bench_rate(host::Env& env, const std::string& dir, std::uint64_t mib, std::uint64_t dirty_pages, double seconds) {
  auto store = fresh_world(env, dir + "/rate.img", mib);
  populate(*store);
  host::Arena& arena = store->arena();
  std::mt19937_64 random(4);
  Idle idle;
  std::uint64_t value = 1;
  auto one = [&]() -> store::SnapshotReport {
    for (std::uint64_t k = 0; k < dirty_pages; ++k, ++value) std::memcpy(arena.page(random() % arena.pages()) + 64, &value, 8);
    auto r = store->snapshot(idle);
    if (!r.ok()) {
      std::fprintf(stderr, "bench: snapshot: %s\n", r.error().message.c_str());
      std::exit(1);
    }
    return *r;
  };
  for (int i = 0; i < 20; ++i) one();  // past the first commits after the populating one
  std::vector<double> total, pause, write, flush, other;
  auto begin = Clock::now();
  std::uint64_t count = 0;
  while (ms_since(begin) < seconds * 1e3) {
    store::SnapshotReport r = one();
    ++count;
    total.push_back(r.total_ns / 1e6);
    pause.push_back(r.pause_ns / 1e6);
    write.push_back(r.write_ns / 1e6);
    flush.push_back(r.flush_ns / 1e6);
    other.push_back((r.total_ns - std::min(r.total_ns, r.pause_ns + r.write_ns + r.flush_ns)) / 1e6);
  }
  double per_s = count / (ms_since(begin) / 1e3);
  double anchor = fsync_per_s(dir + "/fsync.bin", 1.0);
  emit({{"bench", "snapshot.rate"}, {"arena_mib", mib}, {"dirty_pages", dirty_pages}, {"per_s", per_s},
        {"fsync_per_s", anchor}, {"ratio_to_fsync", anchor > 0 ? per_s / anchor : 0}, {"samples", count},
        {"p50_ms", percentile(total, 0.5)}, {"p99_ms", percentile(total, 0.99)},
        {"pause_p50_ms", percentile(pause, 0.5)}, {"write_p50_ms", percentile(write, 0.5)},
        {"flush_p50_ms", percentile(flush, 0.5)}, {"other_p50_ms", percentile(other, 0.5)}});
}

int mutate_world(host::Env& env, const std::string& path) {
  auto store = store::Store::open(env, env.open_block_device(path, host::OpenMode::open_existing).value(), {});
  if (!store.ok()) return 1;
  Mutator mutator((*store)->arena(), 2000, 100);
  mutator.start();
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (!(*store)->snapshot(mutator).ok()) return 1;
  }
}

int open_world(host::Env& env, const std::string& path) {
  auto begin = Clock::now();
  auto device = env.open_block_device(path, host::OpenMode::open_existing);
  if (!device.ok()) return 1;
  auto store = store::Store::open(env, std::move(device).value(), {});
  if (!store.ok()) return 1;
  // Usable: the first page can be read and written.
  (*store)->arena().page(0)[100] = std::byte{1};
  std::printf("%.3f\n", ms_since(begin));
  std::fflush(stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Phantom store benchmarks: one JSON object per line on stdout", "phantom_bench"};
  std::string dir = "bench-tmp";
  std::string only;
  bool quick = false;
  std::string mutate_path, open_path;
  app.add_option("--dir", dir, "directory in which the benchmark worlds get a directory of their own (same disk as a real world)")->capture_default_str();
  app.add_option("--only", only, "run only benchmarks whose name starts with this");
  app.add_flag("--quick", quick, "fewer samples and smaller arenas (a smoke run)");
  int pause_samples = 0;
  std::vector<std::uint64_t> only_sizes;
  app.add_option("--pause-samples", pause_samples,
                 "snapshots per snapshot.pause case with pre-copy (default 50; 1000 or more for a meaningful p99.9: "
                 "about 9 min at 256 MiB and 17 min at 1 GiB per case)");
  app.add_option("--arena-mib", only_sizes, "arena sizes to run, in MiB (default 256 and 1024)");
  std::vector<int> only_dirty;
  app.add_option("--dirty-pct", only_dirty, "shares of the arena dirtied per interval to run, in % (default 1 and 10)")
      ->check(CLI::Range(1, 100));
  app.add_option("--mutate-world", mutate_path)->group("");
  app.add_option("--open-world", open_path)->group("");
  CLI11_PARSE(app, argc, argv);
  auto env = host::make_host_env();
  if (!mutate_path.empty()) return mutate_world(*env, mutate_path);
  if (!open_path.empty()) return open_world(*env, open_path);

  // The worlds go into a directory of their own inside --dir, and only that one is removed at the end:
  // --dir may name a directory that holds other things (it once named a source tree, which went).
  dir = (std::filesystem::path(dir) / ("phantom-bench-" + std::to_string(::getpid()))).string();
  std::filesystem::create_directories(dir);
  auto wanted = [&](const char* name) { return only.empty() || std::string(name).rfind(only, 0) == 0; };
  const int samples = quick ? 10 : 50;
  const int precopy_samples = pause_samples > 0 ? pause_samples : samples;
  std::vector<std::uint64_t> sizes = quick ? std::vector<std::uint64_t>{64} : std::vector<std::uint64_t>{256, 1024};
  if (!only_sizes.empty()) sizes = only_sizes;
  if (only_dirty.empty()) only_dirty = {1, 10};
  for (std::uint64_t mib : sizes) {
    for (int pct : only_dirty) {
      if (wanted("snapshot.pause")) {
        std::fprintf(stderr, "bench: snapshot.pause %lu MiB %d%%\n", mib, pct);
        int interval = mib >= 1024 ? 1000 : 500;
        bench_pause(*env, dir, mib, pct, true, precopy_samples, interval);
        bench_pause(*env, dir, mib, pct, false, samples / 2, interval);
      }
      if (wanted("snapshot.writeout")) {
        std::fprintf(stderr, "bench: snapshot.writeout %lu MiB %d%%\n", mib, pct);
        bench_writeout(*env, dir, mib, pct, quick ? 3 : 5);
      }
    }
  }
  if (wanted("snapshot.pause") || only == "snapshot.pause.vm") {  // the latter: this one alone
    std::fprintf(stderr, "bench: snapshot.pause with 8 VM threads\n");
    bench_vm_pause(*env, dir, quick ? 64 : 256, samples, 200);
  }
  if (wanted("world.reopen")) {
    std::fprintf(stderr, "bench: world.reopen\n");
    bench_reopen(*env, std::filesystem::canonical("/proc/self/exe").string(), dir, quick ? 64 : 1024, quick ? 3 : 5);
  }
  if (wanted("snapshot.rate")) {
    for (std::uint64_t dirty : {4, 16}) {
      std::fprintf(stderr, "bench: snapshot.rate %d MiB, %lu dirty pages\n", quick ? 64 : 1024, dirty);
      bench_rate(*env, dir, quick ? 64 : 1024, dirty, quick ? 1.0 : 3.0);
    }
  }
  std::filesystem::remove_all(dir);
  return 0;
}
