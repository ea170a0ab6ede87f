// commit_bench: output commit measured end to end through the real `phantom` binary (design.md
// "Performance targets", "Benchmark output"):
//   output.commit_latency  arena_mib, workload ("idle", "sensors") -> p50_ms, p99_ms, max_ms, samples:
//                          the time from a committed file write in the world to the moment the line is
//                          visible in the host file (released after the snapshot holding it committed),
//                          plus snapshots_per_s during the run, the snapshots' own pause and duration,
//                          and the anchors measured or stated in the same run: fsync_ms and fsync_p99_ms (of a small
//                          write + fdatasync on the same disk) and Remus's 25-40 ms epoch; and bulk_fsync_ms,
//                          bulk_fsync_p99_ms: the disk alone writing the pages this world wrote per snapshot
//                          (pages_written_per_snapshot_p50, with those written ahead) in one sequential write,
//                          then fdatasync, every 20 ms: the floor under p99_ms for that workload.
//
// The world runs bench/commit_latency.ph: every 20 ms it appends a line holding CLOCK_MONOTONIC in µs
// (.internal.time.uptime()) to fio:latency.txt. This process watches the world's file directory with
// inotify and, when a line appears, subtracts its value from its own CLOCK_MONOTONIC (one clock: same
// machine). The figure includes the policy's wake-up, the snapshot (pause, write-out, commit record and
// its flushes) and the release's write; not the release's fdatasync that follows the write (the line is
// visible before it), nor the few µs between uptime() and the append in the world.
//
//   commit_bench [--only idle|sensors] [--samples N] [--runs R]
#include <fcntl.h>
#include <signal.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench_figures.h"
#include "support/child_process.h"

namespace fs = std::filesystem;
using phantom::test::Child;
using phantom::test::read_until;
using phantom::test::spawn_child;

namespace {

constexpr int arena_mib = 1024;
constexpr int warmup_samples = 10;

using phantom::bench::maximum;
using phantom::bench::monotonic_us;
using phantom::bench::percentile;

void stop(Child& c) {
  ::kill(c.pid, SIGKILL);
  ::waitpid(c.pid, nullptr, 0);
  ::close(c.out);
  if (c.in >= 0) ::close(c.in);
}

// The anchor: p50 and p99 of a 64-byte append followed by fdatasync, on the disk the worlds live on. A
// commit flushes twice, so the disk's own p99 bounds what the commit's p99 can be.
struct FsyncAnchor {
  double p50_ms = -1, p99_ms = -1;
};
FsyncAnchor fsync_anchor(const fs::path& dir) {
  std::string path = (dir / "fsync.dat").string();
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (fd < 0) return {};
  char line[64];
  std::memset(line, 'x', sizeof line);
  line[63] = '\n';
  std::vector<double> ms;
  for (int i = 0; i < 1000; ++i) {
    auto begin = monotonic_us();
    if (::pwrite(fd, line, sizeof line, static_cast<off_t>(i) * 64) != sizeof line || ::fdatasync(fd) != 0) break;
    ms.push_back(static_cast<double>(monotonic_us() - begin) / 1e3);
  }
  ::close(fd);
  fs::remove(path);
  return {percentile(ms, 0.5), percentile(ms, 0.99)};
}

// The disk's floor for a workload: every 20 ms (the program's period), `pages` 4 KiB blocks written in
// one piece after the last (the best case: the store also writes each cycle's pages to consecutive
// fresh blocks) and fdatasync'ed, as the store must do for each output snapshot (the pages it wrote
// ahead and those of the snapshot). Its tail is the disk's, with nothing else running.
FsyncAnchor bulk_fsync_anchor(const fs::path& dir, std::uint64_t pages, int samples) {
  std::string path = (dir / "bulk.dat").string();
  int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_TRUNC, 0644);
  if (fd < 0) return {};
  constexpr std::uint64_t file_bytes = 1ull << 30;
  std::vector<char> data(std::max<std::uint64_t>(pages, 1) * 4096, 'x');
  std::vector<double> ms;
  std::uint64_t offset = 0;
  for (int i = 0; i < samples; ++i) {
    if (offset + data.size() > file_bytes) offset = 0;
    auto begin = monotonic_us();
    if (::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset)) != static_cast<ssize_t>(data.size()) ||
        ::fdatasync(fd) != 0)
      break;
    auto took = monotonic_us() - begin;
    offset += data.size();
    ms.push_back(static_cast<double>(took) / 1e3);
    if (took < 20000) ::usleep(static_cast<useconds_t>(20000 - took));
  }
  ::close(fd);
  fs::remove(path);
  return {percentile(ms, 0.5), percentile(ms, 0.99)};
}

struct SnapshotLine {
  double pause_ms, total_ms;
  unsigned long long pages;
  std::string why;
  unsigned long long written_back = 0;  // pages the store wrote ahead since the snapshot before
};

std::vector<SnapshotLine> snapshot_lines(const std::string& text) {
  std::vector<SnapshotLine> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    unsigned long long seq, pages;
    double p, w;
    char why[32];
    if (std::sscanf(line.c_str(), "phantom: snapshot %llu committed (%31[^,], %llu pages, pause %lf ms, written in %lf ms)", &seq, why,
                    &pages, &p, &w) == 5)
    {
      out.push_back({p, w, pages, why});
      if (const char* at = std::strstr(line.c_str(), "flush "))
        std::sscanf(at, "flush %*f ms, %llu pages written back", &out.back().written_back);
    }
  }
  return out;
}

// Reads what the child wrote so far (non-blocking) into `out`.
void pump(int fd, std::string& out) { phantom::test::read_available(fd, out); }

bool run_case(const fs::path& dir, const fs::path& classes, const std::string& workload, int samples_wanted, FsyncAnchor fsync) {
  fs::path world = dir / (workload + ".img");
  fs::path files = dir / (workload + ".files");
  fs::remove_all(files);
  fs::remove(world);
  fs::create_directories(files);
  int ino = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (ino < 0 || ::inotify_add_watch(ino, files.c_str(), IN_MODIFY | IN_CREATE) < 0) {
    std::perror("commit_bench: inotify");
    return false;
  }
  std::vector<std::string> args = {"phantom", "run", "--world", world.string(), "--arena-size", fmt::format("{}M", arena_mib),
                                   "--files", files.string(), "--log-snapshots", "--classpath", classes.string(),
                                   "--classpath", CLASSES_DIR};
  if (workload == "idle") args.insert(args.end(), {"--boot", ".bench.commit_latency"});
  else args.insert(args.end(), {"--boot", ".demo.sensors"});
  Child c = spawn_child(PHANTOM_BINARY, args, true);
  std::string out;
  std::size_t ready_at = 0;
  if (workload != "idle") {
    if (!read_until(c.out, out, "sensors ready", 120000)) {
      std::fprintf(stderr, "commit_bench: the sensors did not start:\n%s\n", out.substr(0, 2000).c_str());
      stop(c);
      ::close(ino);
      return false;
    }
    // Measured in a steady state: the world's first snapshot holds its whole boot (5,000 pages and
    // more, written in 100-150 ms), which is not what a running service's outputs wait for.
    if (!read_until(c.out, out, "committed (", 60000, out.find("sensors ready"))) {
      std::fprintf(stderr, "commit_bench: the sensors world took no first snapshot:\n%s\n", out.substr(0, 2000).c_str());
      stop(c);
      ::close(ino);
      return false;
    }
    ready_at = out.size();
    // The world's output is drained while `phantom start` runs (the sensors print at full speed).
    phantom::test::run_while_draining(PHANTOM_BINARY,
                                      {"phantom", "start", "--world", world.string(), ".bench.commit_latency", "--classpath",
                                       classes.string()},
                                      c.out, out);
  }
  if (!read_until(c.out, out, "commit_latency ready", 60000, ready_at)) {
    std::fprintf(stderr, "commit_bench: %s: the program did not start:\n%s\n", workload.c_str(),
                 out.substr(out.size() > 3000 ? out.size() - 3000 : 0).c_str());
    stop(c);
    ::close(ino);
    return false;
  }

  std::vector<double> latency_ms;
  std::string pending;
  off_t offset = 0;
  int file_fd = -1;
  int seen = 0;
  std::size_t log_from = 0;
  std::int64_t first_us = 0, last_us = 0;
  std::int64_t deadline = monotonic_us() + 120'000'000;
  while (static_cast<int>(latency_ms.size()) < samples_wanted && monotonic_us() < deadline) {
    pollfd p[2] = {{ino, POLLIN, 0}, {c.out, POLLIN, 0}};
    if (::poll(p, 2, 100) <= 0) continue;
    std::int64_t now = monotonic_us();
    if (p[1].revents & (POLLIN | POLLHUP)) {
      char buffer[16384];
      ssize_t n = ::read(c.out, buffer, sizeof buffer);
      if (n <= 0) {
        std::fprintf(stderr, "commit_bench: %s: the world ended:\n%s\n", workload.c_str(),
                     out.substr(out.size() > 3000 ? out.size() - 3000 : 0).c_str());
        break;
      }
      out.append(buffer, static_cast<std::size_t>(n));
    }
    if (!(p[0].revents & POLLIN)) continue;
    char events[4096];
    while (::read(ino, events, sizeof events) > 0) {
    }
    if (file_fd < 0) file_fd = ::open((files / "latency.txt").c_str(), O_RDONLY);
    if (file_fd < 0) continue;
    char data[4096];
    ssize_t n;
    while ((n = ::pread(file_fd, data, sizeof data, offset)) > 0) {
      offset += n;
      pending.append(data, static_cast<std::size_t>(n));
    }
    std::size_t eol;
    while ((eol = pending.find('\n')) != std::string::npos) {
      long long written_us = std::atoll(pending.substr(0, eol).c_str());
      pending.erase(0, eol + 1);
      if (++seen <= warmup_samples) continue;
      if (latency_ms.empty()) {
        first_us = now;
        pump(c.out, out);
        log_from = out.size();
      }
      latency_ms.push_back(static_cast<double>(now - written_us) / 1e3);
      last_us = now;
    }
  }
  pump(c.out, out);
  std::size_t log_to = out.size();
  stop(c);
  if (file_fd >= 0) ::close(file_fd);
  ::close(ino);
  fs::remove_all(files);
  fs::remove(world);
  if (latency_ms.empty()) {
    std::fprintf(stderr, "commit_bench: %s: no samples\n", workload.c_str());
    return false;
  }

  // The snapshots taken while the samples were collected: their rate, pause and duration.
  std::vector<SnapshotLine> snaps = snapshot_lines(out.substr(log_from, log_to - log_from));
  std::vector<double> pause, total, pages, cycle_pages;
  long output_snaps = 0;
  for (const SnapshotLine& s : snaps) {
    pause.push_back(s.pause_ms);
    total.push_back(s.total_ms);
    pages.push_back(static_cast<double>(s.pages));
    cycle_pages.push_back(static_cast<double>(s.pages + s.written_back));
    if (s.why == "output") ++output_snaps;
  }
  // The same disk writing what this world wrote per snapshot, alone: the floor under p99_ms.
  const double written_p50 = percentile(cycle_pages, 0.5);
  FsyncAnchor bulk = bulk_fsync_anchor(dir, static_cast<std::uint64_t>(written_p50), 300);
  double seconds = static_cast<double>(last_us - first_us) / 1e6;
  double p50 = percentile(latency_ms, 0.5), p99 = percentile(latency_ms, 0.99);
  fmt::print("{{\"bench\":\"output.commit_latency\",\"arena_mib\":{},\"workload\":\"{}\",\"p50_ms\":{:.3f},\"p99_ms\":{:.3f},"
             "\"max_ms\":{:.3f},\"samples\":{},\"target_p50_ms\":2,\"target_p99_ms\":10,\"p50_ratio_to_target\":{:.2f},"
             "\"p99_ratio_to_target\":{:.2f},\"snapshots_per_s\":{:.1f},\"output_snapshots\":{},\"snapshots\":{},"
             "\"snapshot_pause_p50_ms\":{:.3f},\"snapshot_total_p50_ms\":{:.2f},\"snapshot_total_p99_ms\":{:.2f},"
             "\"pages_per_snapshot_p50\":{:.0f},\"pages_written_per_snapshot_p50\":{:.0f},\"fsync_ms\":{:.3f},\"fsync_p99_ms\":{:.3f},"
             "\"bulk_fsync_ms\":{:.3f},\"bulk_fsync_p99_ms\":{:.3f},\"remus_epoch_ms\":[25,40]}}\n",
             arena_mib, workload, p50, p99, maximum(latency_ms), latency_ms.size(), p50 / 2.0, p99 / 10.0,
             seconds > 0 ? static_cast<double>(snaps.size()) / seconds : 0.0, output_snaps, snaps.size(), percentile(pause, 0.5),
             percentile(total, 0.5), percentile(total, 0.99), percentile(pages, 0.5), written_p50, fsync.p50_ms, fsync.p99_ms,
             bulk.p50_ms, bulk.p99_ms);
  std::fflush(stdout);
  if (std::getenv("COMMIT_BENCH_RAW")) {  // for finding a tail: the samples in order, and the slow snapshots
    std::fprintf(stderr, "commit_bench: %s latencies (ms, in order):", workload.c_str());
    for (double l : latency_ms) std::fprintf(stderr, " %.2f", l);
    std::fprintf(stderr, "\ncommit_bench: %s snapshots over 10 ms:\n", workload.c_str());
    for (const SnapshotLine& s : snaps)
      if (s.total_ms > 10) std::fprintf(stderr, "  %s, %llu pages, pause %.3f ms, written in %.1f ms\n", s.why.c_str(),
                                        static_cast<unsigned long long>(s.pages), s.pause_ms, s.total_ms);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string only;
  int samples = 300, runs = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--only") only = argv[i + 1];
    else if (a == "--samples") samples = std::atoi(argv[i + 1]);
    else if (a == "--runs") runs = std::atoi(argv[i + 1]);
  }
  fs::path dir = fs::current_path() / ("commit-bench-" + std::to_string(::getpid()));  // on the project's disk
  fs::path classes = dir / "classes";
  fs::create_directories(classes);
  std::string cmd = fmt::format("{} compile -o {} {}", PHANTOM_BINARY, classes.string(), COMMIT_LATENCY_PH);
  if (std::system(cmd.c_str()) != 0) {
    std::fprintf(stderr, "commit_bench: cannot compile %s\n", COMMIT_LATENCY_PH);
    fs::remove_all(dir);
    return 1;
  }
  int failures = 0;
  for (int r = 0; r < runs; ++r)
    for (const char* workload : {"idle", "sensors"}) {
      if (!only.empty() && only != workload) continue;
      FsyncAnchor fsync = fsync_anchor(dir);
      if (!run_case(dir, classes, workload, samples, fsync)) ++failures;
    }
  fs::remove_all(dir);
  return failures ? 1 : 0;
}
