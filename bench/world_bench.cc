// world_bench: the running system measured end to end through the real `phantom` binary
// (design.md "Benchmark output"):
//   world.reopen     world_mib, live_mib -> ms, max_ms: process start to the first bytecode of a resumed
//                    world holding 1 GiB of live objects (after kill -9), median of 8 with the image in
//                    the page cache; cold_ms, cold_max_ms: the same with the image dropped from it first
//   snapshot.pause   arena_mib, threads, workload "sensors" -> p50_ms, p99_ms, max_ms, samples, and
//                    pages and write-out figures, while the sensor example runs at full speed
//   world.idle_rss   -> mib: resident memory of an idle world with the shell waiting for input
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "bench_figures.h"
#include "support/child_process.h"

namespace fs = std::filesystem;
using phantom::test::Child;
using phantom::test::spawn_child;
using Clock = std::chrono::steady_clock;

namespace {

using phantom::test::read_until;

void stop(Child& c, int sig) {
  ::kill(c.pid, sig);
  ::waitpid(c.pid, nullptr, 0);
  ::close(c.out);
  if (c.in >= 0) ::close(c.in);
}

using phantom::bench::percentile;

const char* big_source = R"(package .bench;
class big
{
    var keep : .internal.object[];
    void startup(var boot : .internal.bootstrap) [8]
    {
        var i : int;
        var chunk : string;
        chunk = "0123456789abcdef";
        while (chunk.length() < 65536) chunk = chunk + chunk;
        keep = new .internal.object[]();
        i = 0;
        while (i < 16384) { keep[i] = chunk + i; i = i + 1; }
        boot.consolePrint("ready\n");
        while (1) { boot.consolePrint("tick\n"); boot.sleep(5); }
    }
};
)";

void bench_reopen(const fs::path& dir) {
  fs::create_directories(dir / "classes");
  std::ofstream(dir / "big.ph") << big_source;
  std::string cmd = fmt::format("{} compile -o {} {}", PHANTOM_BINARY, (dir / "classes").string(), (dir / "big.ph").string());
  if (std::system(cmd.c_str()) != 0) return;
  std::string world = (dir / "big.img").string();
  Child c = spawn_child(PHANTOM_BINARY, {"phantom", "run", "--world", world, "--arena-size", "2G", "--boot", ".bench.big",
                                         "--classpath", (dir / "classes").string(), "--log-snapshots"},
                        true);
  std::string out;
  bool ready = read_until(c.out, out, "ready\n", 120000);
  bool committed = ready && read_until(c.out, out, " committed", 120000, out.find("ready\n"));
  stop(c, SIGKILL);
  if (!committed) {
    std::fprintf(stderr, "world_bench: the 1 GiB world did not commit:\n%s\n", out.substr(0, 2000).c_str());
    return;
  }
  // Warm: the image is in the page cache, as after a crash. Cold: the image's pages are dropped from
  // the page cache first (written out, then POSIX_FADV_DONTNEED), as after a reboot; the binary and
  // its libraries stay cached in both.
  auto drop_cache = [&] {
    int fd = ::open(world.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    bool ok = ::fdatasync(fd) == 0 && ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0;
    ::close(fd);
    return ok;
  };
  // The world was just written: its write-back to disk would land on the first samples, which
  // measure a reopen, not the creation's flush.
  if (int fd = ::open(world.c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
    (void)::fdatasync(fd);
    ::close(fd);
  }
  std::vector<double> ms, cold_ms;
  for (int i = 0; i < 16; ++i) {  // 8 warm and 8 cold, alternating
    const bool cold = i % 2 == 1;
    if (cold && !drop_cache()) continue;
    auto begin = Clock::now();
    Child r = spawn_child(PHANTOM_BINARY, {"phantom", "run", "--world", world}, true);
    std::string o;
    if (read_until(r.out, o, "tick\n", 60000))
      (cold ? cold_ms : ms).push_back(std::chrono::duration<double, std::milli>(Clock::now() - begin).count());
    stop(r, SIGKILL);
  }
  auto bytes = fs::file_size(world);
  auto max_of = [](const std::vector<double>& v) { return v.empty() ? 0.0 : *std::max_element(v.begin(), v.end()); };
  fmt::print("{{\"bench\":\"world.reopen\",\"world_mib\":{},\"live_mib\":1024,\"vm\":true,\"ms\":{:.1f},\"max_ms\":{:.1f},\"samples\":{},"
             "\"cold_ms\":{:.1f},\"cold_max_ms\":{:.1f},\"cold_samples\":{},\"target_ms\":20}}\n",
             bytes >> 20, percentile(ms, 0.5), max_of(ms), ms.size(), percentile(cold_ms, 0.5), max_of(cold_ms), cold_ms.size());
  std::fflush(stdout);
}

void bench_pause_with_sensors(const fs::path& dir) {
  std::string world = (dir / "sensors.img").string();
  Child c = spawn_child(PHANTOM_BINARY, {"phantom", "run", "--world", world, "--arena-size", "256M", "--boot", ".demo.sensors",
                                         "--classpath", CLASSES_DIR, "--interval", "200", "--log-snapshots"},
                        true);
  std::string out;
  read_until(c.out, out, "sensors ready", 60000);
  std::size_t from = out.size();
  read_until(c.out, out, "no such text", 8000);  // eight seconds at full speed
  stop(c, SIGKILL);
  std::vector<double> pause, written_ms, pages;
  std::istringstream lines(out.substr(from));
  std::string line;
  long rounds = 0;
  while (std::getline(lines, line)) {
    unsigned long long seq, npages;
    double p, w;
    char why[32];
    if (std::sscanf(line.c_str(), "phantom: snapshot %llu committed (%31[^,], %llu pages, pause %lf ms, written in %lf ms)", &seq, why,
                    &npages, &p, &w) == 5) {
      pause.push_back(p);
      written_ms.push_back(w);
      pages.push_back(static_cast<double>(npages));
    }
    long r;
    if (std::sscanf(line.c_str(), "round %ld ok", &r) == 1) rounds = r;
  }
  double mean_pages = 0, mean_write = 0;
  for (double p : pages) mean_pages += p;
  for (double w : written_ms) mean_write += w;
  if (!pages.empty()) mean_pages /= static_cast<double>(pages.size()), mean_write /= static_cast<double>(pages.size());
  fmt::print("{{\"bench\":\"snapshot.pause\",\"arena_mib\":256,\"dirty_pct\":null,\"threads\":1,\"workload\":\"sensors\","
             "\"p50_ms\":{:.3f},\"p99_ms\":{:.3f},\"max_ms\":{:.3f},\"samples\":{},\"pages_per_snapshot\":{:.0f},"
             "\"snapshot_total_ms\":{:.1f},\"mb_per_s\":{:.1f},\"rounds\":{}}}\n",
             percentile(pause, 0.5), percentile(pause, 0.99), pause.empty() ? 0.0 : *std::max_element(pause.begin(), pause.end()),
             pause.size(), mean_pages, mean_write, mean_write > 0 ? mean_pages * 4096 / 1e6 / (mean_write / 1e3) : 0.0, rounds);
  std::fflush(stdout);
}

void bench_idle_rss(const fs::path& dir) {
  std::string world = (dir / "idle.img").string();
  Child c = spawn_child(PHANTOM_BINARY, {"phantom", "run", "--world", world, "--boot", ".ru.dz.phantom.system.boot"}, true, true);
  std::string out;
  read_until(c.out, out, "phantom> ", 60000);
  std::this_thread::sleep_for(std::chrono::seconds(3));  // idle: the shell waits for input
  double mib = 0;
  std::ifstream status(fmt::format("/proc/{}/status", c.pid));
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with("VmRSS:")) mib = std::atof(line.c_str() + 6) / 1024.0;
  stop(c, SIGKILL);
  fmt::print("{{\"bench\":\"world.idle_rss\",\"mib\":{:.1f}}}\n", mib);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string only = argc > 2 && std::string(argv[1]) == "--only" ? argv[2] : "";
  fs::path dir = fs::current_path() / ("world-bench-" + std::to_string(::getpid()));  // on the project's disk
  fs::create_directories(dir);
  if (only.empty() || only == "world.idle_rss") bench_idle_rss(dir);
  if (only.empty() || only == "snapshot.pause") bench_pause_with_sensors(dir);
  if (only.empty() || only == "world.reopen") bench_reopen(dir);
  fs::remove_all(dir);
  return 0;
}
