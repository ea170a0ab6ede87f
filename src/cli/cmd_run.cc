// phantom run: boots a new world or resumes an existing one, and keeps it until it is stopped or its
// last VM thread ends (command line layer). The work is system::run_world; this file parses options
// and turns signals into requests: SIGINT/SIGTERM stop (the last snapshot commits first; a second one
// exits at once), SIGUSR1 takes a snapshot now.
#include <signal.h>
#include <unistd.h>

#include "cli/cli_common.h"
#include "system/world_runner.h"

namespace phantom::cli {
namespace {

system::RunSignals* active_signals = nullptr;

void on_stop_signal(int) {
  if (active_signals->stop_requests.fetch_add(1) >= 1) _exit(130);
}
void on_snapshot_signal(int) { active_signals->snapshot_requested = true; }

struct RunOptions {
  system::RunConfig config;
  std::string tracking = "auto";
  bool no_default_class_path = false;
};

host::TrackingMode parse_tracking(const std::string& name) {
  if (name == "uffd") return host::TrackingMode::uffd_async;
  if (name == "mprotect") return host::TrackingMode::mprotect;
  return host::TrackingMode::automatic;
}

int run(host::Env& env, RunOptions& options) {
  static system::RunSignals signals;
  active_signals = &signals;
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  action.sa_handler = on_snapshot_signal;
  ::sigaction(SIGUSR1, &action, nullptr);
  options.config.tracking = parse_tracking(options.tracking);
  return system::run_world(env, options.config, signals);
}

}  // namespace

void add_run_command(CLI::App& app, host::Env& env) {
  auto options = std::make_shared<RunOptions>();
  system::RunConfig& c = options->config;
  CLI::App* cmd = app.add_subcommand("run", "Boot a new world or resume an existing one where it stopped");
  cmd->footer(
      "A new world loads the boot class from the class path, creates it and runs its method 8 with the\n"
      "bootstrap object. An existing world ignores --boot and continues every VM thread where the last\n"
      "snapshot caught it. Program output goes to stdout, Phantom's own messages to stderr. The command\n"
      "exits 0 when the last VM thread has ended (after a final snapshot), 1 when the boot thread fails.");
  cmd->add_option("-w,--world", c.world, "world image (a file, created if missing, or a block device)")->required();
  cmd->add_option("--boot", c.boot_class, "boot class of a new world (sets root.boot), e.g. .my.boot");
  cmd->add_option("--classpath", c.class_path, "directories or bulk class files to load classes from (repeatable)")
      ->delimiter(':');
  cmd->add_flag("--no-default-classpath", options->no_default_class_path,
                "do not look for classes in the built class library (plib) after the class path");
  cmd->add_option("--env", c.environment, "NAME=VALUE for the kernel environment of a new world (repeatable)");
  cmd->add_option("--arena-size", c.arena_size, "arena size of a new world (e.g. 256M, 4G)")
      ->transform(CLI::AsSizeValue(false))
      ->capture_default_str();
  cmd->add_option("--retention", c.retention, "snapshots a new world keeps (1-32)")
      ->check(CLI::Range(1, 32))
      ->capture_default_str();
  cmd->add_option("--interval", c.interval_ms, "milliseconds between snapshots")
      ->check(CLI::Range(1, 86'400'000))
      ->capture_default_str();
  cmd->add_option("--tracking", options->tracking, "dirty-page tracking: auto, uffd or mprotect")
      ->check(CLI::IsMember({"auto", "uffd", "mprotect"}))
      ->capture_default_str();
  cmd->add_flag("--log-snapshots", c.log_snapshots, "print a line for every snapshot (captured, committed)");
  cmd->add_flag("--once", c.once, "open or boot, take one snapshot and exit without running threads");
  cmd->callback([options, &env] {
    if (!options->no_default_class_path) options->config.class_path.push_back(PHANTOM_PLIB_DIR);
    std::exit(run(env, *options));
  });
}

}  // namespace phantom::cli
