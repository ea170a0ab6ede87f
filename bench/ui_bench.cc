// ui_bench: the window system measured (issue 13; design.md "Performance targets", "Benchmark output"),
// on the programs of bench/ui_bench.ph:
//   ui.compose        windows, size -> ms (= p50_ms), p99_ms, samples: composing the screen rectangle
//                     `size` ("1024x768": a full frame; "100x100": an update in the middle of the top
//                     window, over five windows of the cascade) from ten overlapping 400x300 windows with
//                     their decorations and the task bar with its clock. In this process: the program
//                     draws its windows in a world booted in memory and ends, then ui::compose (what
//                     Desktop runs for each dirty rectangle) is timed on them. Not counted: the copy of
//                     the result into the display's frame, and the back-end's work.
//   ui.snapshot_cost  windows, size, workload -> pages (p50 per snapshot), max_pages, pause_ms (p50),
//                     pause_p99_ms, samples, and the anchor no_windows_pages (p50) and no_windows_max_pages:
//                     an idle world without windows, measured in the same run. Through the real binary
//                     (--display headless --interval 100 --log-snapshots), after the snapshots that hold
//                     what the program made before it was ready.
//                     "idle": the ten windows, nothing drawing (target_pages: 0). "animated": one 400x300
//                     window where a centred rectangle `drawn` is refilled 50 times a second (target: the
//                     pages drawn on); drawn_pages is how many pages that rectangle's rows span in the
//                     window's pixels (32-bit, bottom row first, rows of the window's width; one more when
//                     the span straddles one more page boundary), pages_ratio_to_drawn = pages / drawn_pages.
//                     Every snapshot also writes the world's statistics page (its snapshot counter: the
//                     anchor's one page), and now and then the store's cleaner copies live pages forward
//                     out of a sparse segment (part of the log's page count): max_pages shows it, the p50 not.
//   ui.latency        windows, size -> p50_ms, p99_ms, max_ms, samples, missed, draw_p50_ms: from a draw
//                     call in the world to its pixels in a VNC client (libvncclient, ZRLE) on loopback,
//                     with phantom run's default snapshot interval (snapshot_interval_ms).
//                     Every 50 ms the world clears its window to a new colour and prints
//                     CLOCK_MONOTONIC (.internal.time.uptime(), µs) from just before the call; this process
//                     reads the same clock when the pixel in the middle of the window turns that colour in
//                     its copy of the screen (the update received and decoded). Includes composition, the
//                     VNC server's wake-up and its deferral of updates, encoding, loopback and decoding.
//                     missed: frames never seen (a newer colour arrived first); draw_p50_ms: the clear
//                     itself. The tail comes once a second, with the snapshots: the pause, and the first
//                     writes to the window's pages after it, which fault for the dirty-page tracking.
//
//   ui_bench [--only compose|snapshot_cost|latency] [--samples N]   (UI_BENCH_RAW=1: the latencies in order)
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <rfb/rfbclient.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench_figures.h"
#include "support/child_process.h"
#include "ui/compositor.h"
#include "ui/desktop.h"
#include "vm/vm.h"

namespace fs = std::filesystem;
using namespace phantom;
using phantom::test::Child;
using phantom::test::read_until;
using phantom::test::spawn_child;

namespace {

// ---- common ----

using bench::maximum;
using bench::monotonic_us;
using bench::percentile;

void stop(Child& c) {
  ::kill(c.pid, SIGKILL);
  ::waitpid(c.pid, nullptr, 0);
  ::close(c.out);
  if (c.in >= 0) ::close(c.in);
}

std::string tail(const std::string& text) { return text.substr(text.size() > 3000 ? text.size() - 3000 : 0); }

// Starts `phantom run` on a new world in `dir` booting `boot_class` from `classes`, with `extra` options;
// stdin is a pipe that stays open, so that nothing reads the bench's terminal.
Child run_world(const fs::path& dir, const fs::path& classes, const std::string& boot_class, const std::vector<std::string>& extra) {
  std::string name = boot_class.substr(boot_class.rfind('.') + 1);
  fs::path world = dir / (name + ".img");
  fs::remove(world);
  std::vector<std::string> args = {"phantom", "run", "--world", world.string(), "--arena-size", "64M", "--boot", boot_class,
                                   "--classpath", classes.string(), "--no-clock"};
  args.insert(args.end(), extra.begin(), extra.end());
  return spawn_child(PHANTOM_BINARY, args, true, true);
}

// ---- ui.compose ----

constexpr int screen_width = 1024, screen_height = 768;

// A world in plain memory with a desktop (no display: only the windows matter here) that has run
// .bench.ui_desktop to its end, so that its windows are in root slot root_windows and nothing runs.
class ComposeWorld {
 public:
  explicit ComposeWorld(const fs::path& classes)
      : memory_(static_cast<std::byte*>(std::calloc(arena_bytes, 1)), &std::free), heap_(memory_.get(), arena_bytes) {
    heap_.format();
    vm::VmOptions options;
    options.class_path = {classes.string()};
    options.boot_class = ".bench.ui_desktop";
    vm_ = std::make_unique<vm::Vm>(heap_, clock_, console_, options);
    config_.width = screen_width;
    config_.height = screen_height;
    desktop_ = std::make_unique<ui::Desktop>(*vm_, config_);
  }
  // Runs the program; false (said on stderr) when it did not draw its windows.
  bool draw() {
    if (auto booted = vm_->boot(); !booted.ok()) {
      std::fprintf(stderr, "ui_bench: compose: %s\n", booted.error().message.c_str());
      return false;
    }
    vm_->run();
    if (console_.out.find("ui_desktop ready") == std::string::npos) {
      std::fprintf(stderr, "ui_bench: compose: the program did not draw its windows:\n%s\n", tail(console_.out).c_str());
      return false;
    }
    return true;
  }
  vm::Vm& machine() { return *vm_; }
  vm::Ref windows() const { return vm_->root_slot(vm::root_windows); }
  const ui::DesktopConfig& config() const { return config_; }

 private:
  static constexpr std::size_t arena_bytes = 64u << 20;
  std::unique_ptr<std::byte, decltype(&std::free)> memory_;
  vm::Heap heap_;
  bench::SteadyClock clock_;
  bench::CapturedConsole console_;
  ui::DesktopConfig config_;
  std::unique_ptr<vm::Vm> vm_;
  std::unique_ptr<ui::Desktop> desktop_;  // declared last: removed before the VM it is installed in
};

// Composes `area` (screen coordinates, bottom-left origin) `samples` times after a few unmeasured
// rounds (fonts loaded, caches warm); the durations in ms.
std::vector<double> time_compose(ComposeWorld& world, ui::Rect area, int samples) {
  constexpr int warmup = 5;
  std::vector<std::uint32_t> pixels(static_cast<std::size_t>(area.w) * area.h);
  ui::Canvas out{pixels.data(), area.w, area.h};
  const std::string clock = "12:34";  // the task bar's clock, as a desktop shows it (text drawn each time)
  std::vector<double> ms;
  for (int i = 0; i < warmup + samples; ++i) {
    std::int64_t begin = monotonic_us();
    ui::compose(world.machine(), world.windows(), world.config(), area, out, clock);
    if (i >= warmup) ms.push_back(static_cast<double>(monotonic_us() - begin) / 1e3);
  }
  return ms;
}

// A 100x100 rectangle in the middle of the top window's client area, where the top five windows of
// the cascade overlap (each is drawn clipped to it, bottom to top, as for any dirty rectangle).
ui::Rect update_area(ComposeWorld& world) {
  vm::Vm& vm = world.machine();
  std::uint32_t n = vm.array_size(world.windows());
  ui::Rect client = ui::WindowView(vm, vm.array_get(world.windows(), n - 1)).client();
  return {client.x + client.w / 2 - 50, client.y + client.h / 2 - 50, 100, 100};
}

bool bench_compose(const fs::path& classes, int samples) {
  ComposeWorld world(classes);
  if (!world.draw()) return false;
  std::uint32_t windows = world.machine().array_size(world.windows());
  struct Case {
    ui::Rect area;
    int samples;
  };
  // Small updates are fast: more of them for a stable tail.
  for (Case c : {Case{{0, 0, screen_width, screen_height}, samples}, Case{update_area(world), samples * 10}}) {
    std::vector<double> ms = time_compose(world, c.area, c.samples);
    fmt::print("{{\"bench\":\"ui.compose\",\"windows\":{},\"size\":\"{}x{}\",\"ms\":{:.3f},\"p50_ms\":{:.3f},\"p99_ms\":{:.3f},"
               "\"samples\":{}}}\n",
               windows, c.area.w, c.area.h, percentile(ms, 0.5), percentile(ms, 0.5), percentile(ms, 0.99), ms.size());
    std::fflush(stdout);
  }
  return true;
}

// ---- ui.snapshot_cost ----

struct SnapshotLine {
  double pause_ms;
  double pages;
};

// The interval snapshots committed in `text` (lines of --log-snapshots).
std::vector<SnapshotLine> interval_snapshots(const std::string& text) {
  std::vector<SnapshotLine> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    unsigned long long seq, pages;
    double pause;
    char why[32];
    if (std::sscanf(line.c_str(), "phantom: snapshot %llu committed (%31[^,], %llu pages, pause %lf ms", &seq, why, &pages, &pause) == 4 &&
        std::string_view(why) == "interval")
      out.push_back({pause, static_cast<double>(pages)});
  }
  return out;
}

struct SnapshotFigures {
  std::vector<double> pages, pause_ms;
};

// Runs `boot_class` on a headless display with a snapshot every 100 ms, and returns the pages and
// pauses of `samples` snapshots taken once it is ready, after the few that hold what it made then.
std::optional<SnapshotFigures> snapshots_of(const fs::path& dir, const fs::path& classes, const std::string& boot_class,
                                            std::size_t samples) {
  constexpr std::size_t creation_snapshots = 3;
  Child child = run_world(dir, classes, boot_class, {"--display", "headless", "--interval", "100", "--log-snapshots"});
  std::string out;
  bool ready = read_until(child.out, out, " ready\n", 60000);
  std::size_t from = out.size();
  std::vector<SnapshotLine> snaps;
  std::int64_t deadline = monotonic_us() + 120'000'000;
  while (ready && snaps.size() < creation_snapshots + samples && monotonic_us() < deadline) {
    read_until(child.out, out, "", 200);
    snaps = interval_snapshots(out.substr(from));
  }
  stop(child);
  if (snaps.size() < creation_snapshots + samples) {
    std::fprintf(stderr, "ui_bench: snapshot_cost %s: %zu snapshots:\n%s\n", boot_class.c_str(), snaps.size(), tail(out).c_str());
    return std::nullopt;
  }
  SnapshotFigures f;
  for (std::size_t i = creation_snapshots; i < creation_snapshots + samples; ++i) {
    f.pages.push_back(snaps[i].pages);
    f.pause_ms.push_back(snaps[i].pause_ms);
  }
  return f;
}

struct SnapshotCase {
  const char* workload;
  const char* boot_class;
  int windows;
  int drawn_w, drawn_h;  // the rectangle the animation refills (0: none)
};

// The pages that a drawn_w x drawn_h rectangle's rows span in a 400-pixel-wide window of 32-bit
// pixels, when the span starts on a page boundary (the first drawn byte to the last).
long drawn_pages(const SnapshotCase& c) {
  constexpr long window_width = 400, page = 4096;
  if (c.drawn_w == 0) return 0;
  long span = ((c.drawn_h - 1) * window_width + c.drawn_w) * 4;
  return (span + page - 1) / page;
}

bool bench_snapshot_cost(const fs::path& dir, const fs::path& classes, std::size_t samples) {
  // The anchor: the same kind of world without windows, idle.
  std::optional<SnapshotFigures> baseline = snapshots_of(dir, classes, ".bench.ui_no_windows", samples);
  if (!baseline) return false;
  const SnapshotCase cases[] = {{"idle", ".bench.ui_idle", 10, 0, 0},
                                {"animated", ".bench.ui_animate", 1, 400, 300},
                                {"animated", ".bench.ui_animate_box", 1, 100, 100}};
  bool ok = true;
  for (const SnapshotCase& c : cases) {
    std::optional<SnapshotFigures> f = snapshots_of(dir, classes, c.boot_class, samples);
    if (!f) {
      ok = false;
      continue;
    }
    double pages = percentile(f->pages, 0.5);
    long drawn = drawn_pages(c);
    std::string target = drawn ? fmt::format("\"drawn\":\"{}x{}\",\"drawn_pages\":{},\"pages_ratio_to_drawn\":{:.2f}", c.drawn_w,
                                             c.drawn_h, drawn, pages / static_cast<double>(drawn))
                               : std::string("\"target_pages\":0");
    fmt::print("{{\"bench\":\"ui.snapshot_cost\",\"windows\":{},\"size\":\"400x300\",\"workload\":\"{}\",\"pages\":{:.0f},"
               "\"max_pages\":{:.0f},\"pause_ms\":{:.3f},\"pause_p99_ms\":{:.3f},\"samples\":{},{},\"no_windows_pages\":{:.0f},"
               "\"no_windows_max_pages\":{:.0f}}}\n",
               c.windows, c.workload, pages, maximum(f->pages), percentile(f->pause_ms, 0.5), percentile(f->pause_ms, 0.99),
               f->pages.size(), target, percentile(baseline->pages, 0.5), maximum(baseline->pages));
    std::fflush(stdout);
  }
  return ok;
}

// ---- ui.latency ----

void client_log_nothing(const char*, ...) {}

// An RFB client (libvncclient) on loopback that keeps a copy of the screen and watches one pixel.
class VncProbe {
 public:
  ~VncProbe() {
    if (!client_) return;
    std::free(client_->frameBuffer);
    rfbClientCleanup(client_);
  }
  // Connects and completes the handshake; false when the server is not there.
  bool connect(int port) {
    rfbClientLog = rfbClientErr = client_log_nothing;
    client_ = rfbGetClient(8, 3, 4);  // 32-bit pixels, depth 24
    std::free(client_->serverHost);
    client_->serverHost = strdup("127.0.0.1");
    client_->serverPort = port;
    client_->connectTimeout = 5;
    client_->readTimeout = 10;
    client_->appData.encodingsString = "zrle hextile raw";  // lossless, so colours compare exactly
    client_->appData.useRemoteCursor = FALSE;
    client_->canHandleNewFBSize = FALSE;
    if (!rfbInitClient(client_, nullptr, nullptr)) {
      client_ = nullptr;  // rfbInitClient freed it
      return false;
    }
    return true;
  }
  // Handles what the server sent within `timeout_us` (libvncclient then asks for the next update);
  // false when the connection is lost.
  bool pump(unsigned timeout_us) {
    int n = WaitForMessage(client_, timeout_us);
    return n >= 0 && (n == 0 || HandleRFBServerMessage(client_));
  }
  int height() const { return client_->height; }
  // The pixel at (x, y) (top-left origin) as 0xRRGGBB.
  std::uint32_t rgb(int x, int y) const {
    std::uint32_t p;
    std::memcpy(&p, client_->frameBuffer + (static_cast<std::size_t>(y) * client_->width + x) * 4, 4);
    const rfbPixelFormat& f = client_->format;
    return ((p >> f.redShift) & 0xff) << 16 | ((p >> f.greenShift) & 0xff) << 8 | ((p >> f.blueShift) & 0xff);
  }

 private:
  rfbClient* client_ = nullptr;
};

struct Frame {
  long n;
  std::uint32_t rgb;
  std::int64_t before_us, after_us;  // the world's CLOCK_MONOTONIC around the clear
};
struct Change {
  std::int64_t at_us;  // this process's CLOCK_MONOTONIC when the probe's pixel changed
  std::uint32_t rgb;
};

// The frames the program reported in `text`.
std::vector<Frame> frames_in(const std::string& text) {
  std::vector<Frame> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    long n, colour;
    long long before, after;
    if (std::sscanf(line.c_str(), "frame %ld %ld %lld %lld", &n, &colour, &before, &after) == 4)
      out.push_back({n, static_cast<std::uint32_t>(colour) & 0xFFFFFFu, before, after});
  }
  return out;
}

// The port in the world's display line ("display: vnc on 127.0.0.1:PORT"), or 0.
int vnc_port(const std::string& out) {
  const std::string marker = "vnc on 127.0.0.1:";
  auto at = out.find(marker);
  return at == std::string::npos ? 0 : std::atoi(out.c_str() + at + marker.size());
}

// Reads what the child wrote so far into `out`, without waiting.
void drain_available(int fd, std::string& out) {
  char buffer[16384];
  pollfd p{fd, POLLIN, 0};
  while (::poll(&p, 1, 0) > 0) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) return;
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

// The client area (bottom-left origin) that the program's "ui_latency ready x y w h" line gives, once
// it has printed it.
std::optional<ui::Rect> wait_ready(Child& child, std::string& out) {
  const std::string marker = "ui_latency ready";
  if (!read_until(child.out, out, marker, 60000) || !read_until(child.out, out, "\n", 5000, out.find(marker))) return std::nullopt;
  ui::Rect r;
  if (std::sscanf(out.c_str() + out.find(marker), "ui_latency ready %d %d %d %d", &r.x, &r.y, &r.w, &r.h) != 4) return std::nullopt;
  return r;
}

// Each change of the pixel at (x, y) (top-left origin) until `wanted` of them; the world's output
// meanwhile into `out` (its pipe must not fill: the world would stop). Empty when the connection broke.
std::vector<Change> watch_pixel(VncProbe& probe, int x, int y, std::size_t wanted, Child& child, std::string& out) {
  std::vector<Change> changes;
  std::uint32_t shown = probe.rgb(x, y);
  std::int64_t deadline = monotonic_us() + 120'000'000;
  while (changes.size() < wanted && monotonic_us() < deadline) {
    if (!probe.pump(5000)) return {};
    std::int64_t now = monotonic_us();
    if (std::uint32_t rgb = probe.rgb(x, y); rgb != shown) changes.push_back({now, shown = rgb});
    drain_available(child.out, out);
  }
  return changes;
}

struct Latencies {
  std::vector<double> latency_ms, draw_ms;
  long missed = 0;
};

// Each frame after the first `skip`, up to `samples`: the time to the first change to its colour after
// it was drawn. A frame whose colour never showed, though later ones did, is missed.
Latencies match_frames(const std::vector<Frame>& frames, const std::vector<Change>& changes, long skip, std::size_t samples) {
  Latencies out;
  std::size_t next = 0;
  for (const Frame& f : frames) {
    if (f.n <= skip || out.latency_ms.size() == samples) continue;
    auto seen = std::find_if(changes.begin() + static_cast<long>(next), changes.end(),
                             [&](const Change& c) { return c.rgb == f.rgb && c.at_us >= f.before_us; });
    if (seen == changes.end()) {
      if (!changes.empty() && f.before_us < changes.back().at_us) ++out.missed;
      continue;
    }
    next = static_cast<std::size_t>(seen - changes.begin()) + 1;
    out.latency_ms.push_back(static_cast<double>(seen->at_us - f.before_us) / 1e3);
    out.draw_ms.push_back(static_cast<double>(f.after_us - f.before_us) / 1e3);
  }
  return out;
}

bool bench_latency(const fs::path& dir, const fs::path& classes, std::size_t samples) {
  constexpr long warmup = 10;        // frames not counted: the client's first full update, caches
  constexpr int interval_ms = 1000;  // phantom run's default, stated so that the line says what it measured with
  Child child = run_world(dir, classes, ".bench.ui_latency", {"--display", "vnc=127.0.0.1:0", "--interval", std::to_string(interval_ms)});
  std::string out;
  std::optional<ui::Rect> client = wait_ready(child, out);
  VncProbe probe;
  if (!client || !probe.connect(vnc_port(out))) {
    std::fprintf(stderr, "ui_bench: latency: no window or no VNC server:\n%s\n", tail(out).c_str());
    stop(child);
    return false;
  }
  // The middle of the window's client area, in the screen's top-left convention.
  int px = client->x + client->w / 2, py = probe.height() - 1 - (client->y + client->h / 2);
  std::vector<Change> changes = watch_pixel(probe, px, py, warmup + samples, child, out);
  read_until(child.out, out, "", 200);  // the lines of the last frames seen
  stop(child);
  Latencies l = match_frames(frames_in(out), changes, warmup, samples);
  if (l.latency_ms.empty()) {
    std::fprintf(stderr, "ui_bench: latency: no samples (%zu changes seen; none means the VNC connection broke):\n%s\n",
                 changes.size(), tail(out).c_str());
    return false;
  }
  if (std::getenv("UI_BENCH_RAW")) {  // for finding a tail: the samples in order
    std::fprintf(stderr, "ui_bench: latency/draw (ms, in order):");
    for (std::size_t i = 0; i < l.latency_ms.size(); ++i) std::fprintf(stderr, " %.2f/%.2f", l.latency_ms[i], l.draw_ms[i]);
    std::fprintf(stderr, "\n");
  }
  fmt::print("{{\"bench\":\"ui.latency\",\"windows\":1,\"size\":\"{}x{}\",\"encoding\":\"zrle\",\"p50_ms\":{:.3f},\"p99_ms\":{:.3f},"
             "\"max_ms\":{:.3f},\"samples\":{},\"missed\":{},\"draw_p50_ms\":{:.3f},\"snapshot_interval_ms\":{}}}\n",
             client->w, client->h, percentile(l.latency_ms, 0.5), percentile(l.latency_ms, 0.99), maximum(l.latency_ms),
             l.latency_ms.size(), l.missed, percentile(l.draw_ms, 0.5), interval_ms);
  std::fflush(stdout);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::string only;
  int samples = 200;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--only") only = argv[i + 1];
    else if (a == "--samples") samples = std::atoi(argv[i + 1]);
  }
  fs::path dir = fs::current_path() / ("ui-bench-" + std::to_string(::getpid()));  // on the project's disk
  fs::path classes = dir / "classes";
  fs::create_directories(classes);
  std::string cmd = fmt::format("{} compile -o {} {}", PHANTOM_BINARY, classes.string(), UI_BENCH_PH);
  if (std::system(cmd.c_str()) != 0) {
    std::fprintf(stderr, "ui_bench: cannot compile %s\n", UI_BENCH_PH);
    fs::remove_all(dir);
    return 1;
  }
  int failures = 0;
  if (only.empty() || only == "compose") failures += !bench_compose(classes, samples);
  if (only.empty() || only == "snapshot_cost") failures += !bench_snapshot_cost(dir, classes, 40);
  if (only.empty() || only == "latency") failures += !bench_latency(dir, classes, static_cast<std::size_t>(samples));
  fs::remove_all(dir);
  return failures ? 1 : 0;
}
