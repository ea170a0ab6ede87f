// phantom run: boots a new world or resumes an existing one, and keeps it until it is stopped or its
// last VM thread ends (command line layer). The work is system::run_world; this file parses options
// and turns signals into requests: SIGINT/SIGTERM stop (the last snapshot commits first; a second one
// exits at once), SIGUSR1 takes a snapshot now. With --detach it runs as a daemon (host/service.h): the
// parent returns once the world is ready, and the control socket is the way in (docs/control.md).
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>

#include "cli/cli_common.h"
#include "host/service.h"
#include "system/lean.h"
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
  std::string display = "none", screen_size = "1024x768";
  std::string tracking = "auto";
  bool no_default_class_path = false;
  bool detach = false, foreground = false;
  int ready_timeout_s = 300;
  std::string crash_loop = "quarantine";
};

// --display none|headless|vnc[=[ADDR]:PORT]|sdl and --screen-size WxH into the display's config; exits 2
// with a message naming the mistake.
void parse_display(RunOptions& options) {
  host::DisplayConfig& d = options.config.display;
  std::string kind = options.display, where;
  if (auto eq = kind.find('='); eq != std::string::npos) {
    where = kind.substr(eq + 1);
    kind = kind.substr(0, eq);
  }
  if (kind != "none" && kind != "headless" && kind != "vnc" && kind != "sdl") {
    std::fprintf(stderr, "phantom run: --display %s: not a display (none, headless, vnc[=ADDR:PORT] or sdl)\n", options.display.c_str());
    std::exit(2);
  }
  if (!where.empty()) {
    if (kind != "vnc") {
      std::fprintf(stderr, "phantom run: --display %s: only vnc takes an address\n", options.display.c_str());
      std::exit(2);
    }
    auto colon = where.rfind(':');
    std::string port = colon == std::string::npos ? where : where.substr(colon + 1);
    if (colon != std::string::npos && colon > 0) d.vnc_address = where.substr(0, colon);
    if (d.vnc_address.size() > 2 && d.vnc_address.front() == '[' && d.vnc_address.back() == ']')
      d.vnc_address = d.vnc_address.substr(1, d.vnc_address.size() - 2);
    char* end = nullptr;
    long p = std::strtol(port.c_str(), &end, 10);
    if (port.empty() || *end || p < 0 || p > 65535) {
      std::fprintf(stderr, "phantom run: --display %s: the port must be 0..65535 (0: any free port)\n", options.display.c_str());
      std::exit(2);
    }
    d.vnc_port = static_cast<int>(p);
  }
  d.kind = kind;
  int w = 0, h = 0;
  char x = 0, extra = 0;
  if (std::sscanf(options.screen_size.c_str(), "%d%c%d%c", &w, &x, &h, &extra) != 3 || (x != 'x' && x != 'X') || w < 64 ||
      h < 64 || w > 8192 || h > 8192) {
    std::fprintf(stderr, "phantom run: --screen-size %s: give WIDTHxHEIGHT, each 64..8192 (e.g. 1280x800)\n",
                 options.screen_size.c_str());
    std::exit(2);
  }
  d.width = w;
  d.height = h;
}

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
  int code = system::run_world(env, options.config, signals);
  host::notify_service_manager("STOPPING=1");
  return code;
}

// A world that already runs would fail on its image lock with a terse message; its control socket
// says which process has it.
void refuse_if_running(const system::RunConfig& c) {
  system::ControlTarget target{c.world, c.control_path.empty() ? system::default_control_path(c.world) : c.control_path};
  auto running = system::running_world_status(target);
  if (!running.ok()) return;
  std::error_code ec;
  if (running->world == c.world || std::filesystem::equivalent(running->world, c.world, ec))
    fmt::print(stderr, "phantom: {}: already running as pid {} (see phantom status {}; phantom stop {} ends it)\n", c.world,
               running->pid, c.world, c.world);
  else
    fmt::print(stderr, "phantom: {}: the control socket {} belongs to the running world {} (pid {}); choose another with --control\n",
               c.world, target.socket, running->world, running->pid);
  std::exit(exit_failure);
}

// --detach: forks; the parent waits for the child's "ready" and exits, the child runs the world with
// its messages in <world>.log. Returns only in the child (or with --foreground, in the one process).
void prepare_service_mode(RunOptions& options) {
  system::RunConfig& c = options.config;
  std::string socket = c.control_path.empty() ? system::default_control_path(c.world) : c.control_path;
  c.attachable_console = options.detach || options.foreground;
  if (!options.detach) {
    c.on_ready = [world = c.world, socket, announce = options.foreground] {
      if (announce) fmt::print(stderr, "phantom: {}: ready; control socket {}\n", world, socket);
      host::notify_service_manager("READY=1");
    };
    return;
  }
  std::string log = c.world + ".log";
  auto daemon = std::make_shared<host::Daemon>(exit_on_error(host::Daemon::detach(log)));
  if (!daemon->child()) {
    auto ready = daemon->wait_ready(options.ready_timeout_s * 1000);
    if (!ready.ok()) {
      fmt::print(stderr, "{}\n", ready.error().message);
      fmt::print(stderr, "phantom: {}: the world did not start (its log: {})\n", c.world, log);
      std::exit(exit_failure);
    }
    fmt::print(stderr, "phantom: {}: running in the background as pid {}; control socket {}, log {}\n", c.world,
               daemon->child_pid(), socket, log);
    std::exit(exit_ok);
  }
  c.on_ready = [daemon, world = c.world, socket] {
    fmt::print(stderr, "phantom: {}: ready as pid {}; control socket {}\n", world, ::getpid(), socket);
    host::notify_service_manager("READY=1");
    daemon->ready();
  };
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
      "exits 0 when the last VM thread has ended (after a final snapshot), 1 when the boot thread fails.\n"
#ifdef PHANTOM_LEAN
      "This build leaves out the window system and WebAssembly (PHANTOM_LEAN): a program's calls of their\n"
      "classes throw, and --display and --boot-wasm are refused.\n"
#else
      "With --boot-wasm FILE [-- ARGS...] the boot thread runs a WebAssembly WASI command instead; the\n"
      "command exits with its proc_exit code (docs/wasm.md).\n"
#endif
      "While it runs, its control socket (docs/control.md) serves phantom start, snapshot, stop, status\n"
      "and, for a world run with --detach or --foreground, attach.");
  // What a lean build leaves out stays on the command line, out of --help, to be refused with a reason.
  std::vector<CLI::Option*> wasm_options, window_options;
  cmd->add_option("-w,--world", c.world, "world image (a file, created if missing, or a block device)")->required();
  cmd->add_option("--boot", c.boot_class, "boot class of a new world (sets root.boot), e.g. .my.boot");
  wasm_options.push_back(cmd->add_option("--boot-wasm", c.boot_wasm,
                                         "a new world whose boot thread runs this WebAssembly WASI command (arguments after --)"));
  if (!system::lean_build) wasm_options.back()->check(CLI::ExistingFile);
  wasm_options.push_back(cmd->add_option("--wasm-env", c.wasm_env, "NAME=VALUE in the environment of the --boot-wasm command (repeatable)")
      ->allow_extra_args(false));  // `--wasm-env A=1 -- args`: one value per flag
  auto* wasm_args = cmd->add_option("wasm-args", c.wasm_args, "arguments of the --boot-wasm command, after --");
  cmd->add_option("--classpath", c.class_path, "directories or bulk class files to load classes from (repeatable)")
      ->delimiter(':')
      ->allow_extra_args(false);
  cmd->add_flag("--no-default-classpath", options->no_default_class_path,
                "do not look for classes in the built class library (plib) after the class path");
  cmd->add_option("--env", c.environment,
                  "NAME=VALUE for the kernel environment of a new world, or NAME to take this process's value of NAME "
                  "(e.g. PORT=9090 phantom run ... --env PORT) (repeatable)");
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
  cmd->add_option("--files", c.files_directory, "the world's directory for fio: files (default: <world>.files beside the image)");
  cmd->add_flag("--console-commit", c.console_commit,
                "print program output only once the snapshot that produced it has committed (never repeated after a crash)");
  cmd->add_option("--commit-delay", c.commit_delay_us, "microseconds that output may wait for more before its snapshot starts")
      ->check(CLI::Range(0, 10'000'000))
      ->capture_default_str();
  cmd->add_option("--listen", c.listen_rules,
                  "allow listening on ADDR:PORT (PORT or *) besides loopback, e.g. 0.0.0.0:8080 or [::]:* (repeatable)");
  cmd->add_option("--connect", c.connect_rules,
                  "allow outgoing connections only to HOST:PORT, HOST:* or * (repeatable; none given: anywhere)");
  window_options.push_back(cmd->add_option("--display", options->display,
                  "where the desktop is shown: none, headless (in memory; phantom screenshot), vnc[=[ADDR]:PORT] (an RFB and "
                  "WebSocket server for VNC viewers and noVNC; default 127.0.0.1:5900) or sdl (a desktop window)")
      ->capture_default_str());
  window_options.push_back(
      cmd->add_option("--screen-size", options->screen_size, "the screen's size, WIDTHxHEIGHT (32-bit pixels)")->capture_default_str());
  window_options.push_back(cmd->add_option("--vnc-password-file", c.display.vnc_password_file,
                                           "with --display vnc: VNC clients must give the password on this file's first line"));
  auto* no_clock =
      cmd->add_flag("--no-clock", [&c](std::int64_t) { c.taskbar_clock = false; }, "no clock on the task bar (for exact screenshots)");
  if (system::lean_build) {  // no task bar: accepted, as a world without a display accepts it
    no_clock->group("");
    wasm_args->group("");
    for (CLI::Option* o : wasm_options) o->group("");
    for (CLI::Option* o : window_options) o->group("");
  }
  cmd->add_option("--control", c.control_path, "control socket for phantom start/snapshot/stop/status/attach (default: <world>.sock)");
  auto* detach = cmd->add_flag("--detach", options->detach,
                               "run in the background once the world is ready; messages go to <world>.log, the console "
                               "waits for phantom attach");
  cmd->add_flag("--foreground", options->foreground,
                "like --detach without leaving the foreground (for systemd, Type=notify): messages on stderr")
      ->excludes(detach);
  cmd->add_option("--ready-timeout", options->ready_timeout_s, "with --detach: seconds to wait for the world to be ready")
      ->capture_default_str();
  cmd->add_option("--on-crash-loop", options->crash_loop,
                  "when the world failed --crash-loop-failures times within --crash-loop-window seconds of resuming the same "
                  "snapshot: quarantine (hold back the threads running at the faults; roll back if it fails again), "
                  "rollback (resume the snapshot before), stop (refuse to start) or ignore (docs/faults.md)")
      ->check(CLI::IsMember({"quarantine", "rollback", "stop", "ignore"}))
      ->capture_default_str();
  cmd->add_option("--crash-loop-failures", c.crash_loop.failures, "failures that make a crash loop")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  cmd->add_option("--crash-loop-window", c.crash_loop.window_s, "seconds after resuming within which a failure counts")
      ->check(CLI::Range(1, 86'400))
      ->capture_default_str();
  cmd->add_option("--gc-step", c.gc_step_us,
                  "microseconds: the longest pause of the garbage collector, which works in steps of this length "
                  "between the threads' turns (docs/vm.md)")
      ->check(CLI::Range(1u, 1'000'000u))
      ->capture_default_str();
  cmd->add_option("--watchdog", c.watchdog_ms,
                  "milliseconds a VM thread may run without reaching a safepoint before the run ends as a fault (0: off)")
      ->check(CLI::Range(0, 86'400'000))
      ->capture_default_str();
  // Tests only: serves flt:, with which a program makes the process fail (docs/faults.md). Not in --help.
  cmd->add_flag("--test-faults", c.test_faults, "")->group("");
  // Tests only: the arena away from the address its image records, as where that address cannot be
  // had (docs/image-format.md, "Portability"). Not in --help.
  cmd->add_flag("--arena-anywhere", c.arena_anywhere, "")->group("");
  cmd->callback([options, &env, wasm_options, window_options] {
    (void)wasm_options, (void)window_options;  // read by a lean build only
#ifdef PHANTOM_LEAN
    for (CLI::Option* o : wasm_options)
      if (o->count()) left_out(system::lean_no_wasm);
    for (CLI::Option* o : window_options)
      if (o->count() && !(o->get_name() == "--display" && options->display == "none")) left_out(system::lean_no_windows);
#endif
    if (options->config.boot_wasm.empty() && !options->config.wasm_args.empty()) {
      std::fprintf(stderr, "phantom run: unexpected argument '%s' (arguments after -- are for --boot-wasm)\n",
                   options->config.wasm_args.front().c_str());
      std::exit(2);
    }
    if (!options->no_default_class_path) options->config.class_path.push_back(PHANTOM_PLIB_DIR);
    for (std::string& entry : options->config.environment) {
      if (entry.find('=') != std::string::npos) continue;
      const char* value = std::getenv(entry.c_str());
      if (!value) {
        std::fprintf(stderr, "phantom run: --env %s: %s is not set here; give --env %s=VALUE or set it first\n",
                     entry.c_str(), entry.c_str(), entry.c_str());
        std::exit(2);
      }
      entry += "=";
      entry += value;
    }
    parse_display(*options);
    options->config.crash_loop.action = *system::parse_crash_loop_action(options->crash_loop);
    refuse_if_running(options->config);
    prepare_service_mode(*options);
    std::exit(run(env, *options));
  });
}

}  // namespace phantom::cli
