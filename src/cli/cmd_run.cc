// phantom run: boots a new world or resumes an existing one, and keeps it until it is stopped
// (command line layer). Until the virtual machine lands the world holds no threads: `run` resumes the
// arena, snapshots it periodically, on SIGUSR1 and at shutdown.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "cli/cli_common.h"
#include "store/store.h"

namespace phantom::cli {
namespace {

std::atomic<int> stop_requests{0};
std::atomic<bool> snapshot_requested{false};

void on_stop_signal(int) {
  if (stop_requests.fetch_add(1) >= 1) _exit(130);  // a second Ctrl-C exits at once
}
void on_snapshot_signal(int) { snapshot_requested = true; }

struct IdleWorld final : store::WorldControl {
  void stop() override {}
  void resume() override {}
};

struct RunOptions {
  std::string world;
  std::uint64_t arena_size = store::default_arena_size;
  std::uint32_t retention = 3;
  std::uint64_t interval_ms = 1000;
  std::string tracking = "auto";
  bool once = false;
};

host::TrackingMode parse_tracking(const std::string& name) {
  if (name == "uffd") return host::TrackingMode::uffd_async;
  if (name == "mprotect") return host::TrackingMode::mprotect;
  return host::TrackingMode::automatic;
}

int run_world(host::Env& env, const RunOptions& options) {
  store::CreateOptions create;
  create.arena_size = options.arena_size;
  create.retention = options.retention;
  store::StoreOptions store_options;
  store_options.tracking = parse_tracking(options.tracking);
  bool created = false;
  auto store = exit_on_error(store::Store::open_or_create(env, options.world, create, store_options, &created));
  const store::RestoreReport& restored = store->restore_report();
  for (const std::string& w : restored.warnings) fmt::print(stderr, "phantom: warning: {}\n", w);
  if (created)
    fmt::print(stderr, "phantom: {}: new world, arena {} at {:#x}, tracking {}\n", options.world,
               format_bytes(store->arena().size()), reinterpret_cast<std::uintptr_t>(store->arena().base()),
               host::tracking_mode_name(store->tracking_mode()));
  else if (restored.restored_seq == 0)
    fmt::print(stderr, "phantom: {}: world has no snapshot yet, starting empty ({:.1f} ms)\n", options.world,
               restored.restore_ns / 1e6);
  else
    fmt::print(stderr, "phantom: {}: restored snapshot {} of {} ({} pages) in {:.1f} ms, tracking {}\n", options.world,
               restored.restored_seq, format_time(restored.restored_time_ns), restored.pages_restored,
               restored.restore_ns / 1e6, host::tracking_mode_name(store->tracking_mode()));
  fmt::print(stderr, "phantom: no virtual machine yet: the world holds no programs; Ctrl-C stops it\n");

  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  action.sa_handler = on_snapshot_signal;
  ::sigaction(SIGUSR1, &action, nullptr);

  IdleWorld world;
  auto take = [&](const char* why) {
    auto report = store->snapshot(world);
    if (!report.ok()) {
      fmt::print(stderr, "phantom: snapshot failed ({}): {}\n", why, report.error().message);
      return false;
    }
    if (report->data_blocks > 0 || std::string_view(why) != "interval")
      fmt::print(stderr, "phantom: snapshot {} committed ({}, {} pages, pause {:.3f} ms)\n", report->seq, why,
                 report->data_blocks, report->pause_ns / 1e6);
    return true;
  };
  auto next = std::chrono::steady_clock::now() + std::chrono::milliseconds(options.interval_ms);
  while (stop_requests == 0 && !options.once) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (snapshot_requested.exchange(false)) take("requested");
    if (std::chrono::steady_clock::now() >= next) {
      if (!take("interval")) return exit_failure;
      next = std::chrono::steady_clock::now() + std::chrono::milliseconds(options.interval_ms);
    }
  }
  return take("shutdown") ? exit_ok : exit_failure;
}

}  // namespace

void add_run_command(CLI::App& app, host::Env& env) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand("run", "Boot a new world or resume an existing one where it stopped");
  cmd->add_option("-w,--world", options->world, "world image (a file, created if missing, or a block device)")
      ->required();
  cmd->add_option("--arena-size", options->arena_size, "arena size of a new world (e.g. 256M, 4G)")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  cmd->add_option("--retention", options->retention, "snapshots a new world keeps (1-32)")
      ->check(CLI::Range(1, 32))
      ->capture_default_str();
  cmd->add_option("--interval", options->interval_ms, "milliseconds between snapshots")
      ->check(CLI::Range(1, 86'400'000))
      ->capture_default_str();
  cmd->add_option("--tracking", options->tracking, "dirty-page tracking: auto, uffd or mprotect")
      ->check(CLI::IsMember({"auto", "uffd", "mprotect"}))
      ->capture_default_str();
  cmd->add_flag("--once", options->once, "resume, take one snapshot and exit (for scripts)");
  cmd->callback([options, &env] { std::exit(run_world(env, *options)); });
}

}  // namespace phantom::cli
