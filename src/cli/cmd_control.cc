// phantom snapshot, stop, status, attach: the verbs of a running world's control socket (command line
// layer; the protocol is docs/control.md, the client system/control_client.h).
#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "store/world_info.h"
#include "system/control_server.h"

namespace phantom::cli {
namespace {

std::string format_duration(std::uint64_t ms) {
  std::uint64_t s = ms / 1000;
  if (s >= 86400) return fmt::format("{}d {}h {}m", s / 86400, s / 3600 % 24, s / 60 % 60);
  if (s >= 3600) return fmt::format("{}h {}m {}s", s / 3600, s / 60 % 60, s % 60);
  if (s >= 60) return fmt::format("{}m {}s", s / 60, s % 60);
  return fmt::format("{}.{:01d}s", s, static_cast<int>(ms % 1000 / 100));
}

void print_status(const system::WorldStatus& s) {
  fmt::print("{}: running, pid {}, up {} (boot {} of this world)\n", s.world, s.pid, format_duration(s.uptime_ms), s.boots);
  fmt::print("  threads         {}\n", s.threads);
  fmt::print("  heap            {} used of {} ({} live after the last collection)\n", format_bytes(s.heap_used),
             format_bytes(s.heap_capacity), format_bytes(s.live_bytes));
  if (s.last_snapshot_seq == 0)
    fmt::print("  last snapshot   none yet\n");
  else
    fmt::print("  last snapshot   {} at {} ({} this run)\n", s.last_snapshot_seq, format_time(s.last_snapshot_wall_ns),
               s.snapshots_this_run);
  fmt::print("  snapshot pause  p50 {:.3f} ms, p99 {:.3f} ms, max {:.3f} ms\n", s.pause_p50_ms, s.pause_p99_ms, s.pause_max_ms);
  fmt::print("  pending output  {} in {} writes\n", format_bytes(s.pending_output_bytes), s.pending_output_writes);
  fmt::print("  connections     {}\n", s.connections);
  if (!s.display.empty()) fmt::print("  display         {}\n", s.display);
}

// The newest committed snapshot of a world no process holds, or 0.
std::uint64_t newest_snapshot(host::Env& env, const std::string& world) {
  auto device = env.open_block_device(world, host::OpenMode::read_only);
  if (!device.ok()) return 0;
  auto info = store::read_world_info(**device, false);
  if (!info.ok() || info->current.snapshots.empty()) return 0;
  return info->current.snapshots.back().seq;
}

void add_snapshot_command(CLI::App& app) {
  struct Options {
    WorldArguments world;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("snapshot", "Take a snapshot of a running world now and wait for its commit");
  add_world_arguments(cmd, options->world);
  cmd->add_flag("--json", options->json, "print {\"seq\": N} instead of a sentence");
  cmd->footer("Prints the sequence number of the committed snapshot. The world must be running (phantom run).");
  cmd->callback([options] {
    system::ControlTarget target = control_target(options->world);
    std::uint64_t seq = exit_on_error(system::snapshot_running_world(target));
    if (options->json)
      fmt::print("{}\n", nlohmann::json{{"seq", seq}}.dump());
    else
      fmt::print("{}\n", seq);
    fmt::print(stderr, "phantom: {}: snapshot {} committed\n", target.world, seq);
    std::exit(exit_ok);
  });
}

void add_stop_command(CLI::App& app, host::Env& env) {
  struct Options {
    WorldArguments world;
    int timeout_s = 60;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("stop", "Stop a running world cleanly, with a last snapshot, and wait until it has exited");
  add_world_arguments(cmd, options->world);
  cmd->add_option("--timeout", options->timeout_s, "seconds to wait for the world's process to exit")->capture_default_str();
  cmd->add_flag("--json", options->json, "print {\"pid\", \"exited\", \"last_snapshot\"}");
  cmd->footer("Exits 0 once the world's process has exited after committing its last snapshot, 1 on a timeout.");
  cmd->callback([options, &env] {
    system::ControlTarget target = control_target(options->world);
    system::StopOutcome outcome = exit_on_error(system::stop_running_world(target, options->timeout_s * 1000));
    std::uint64_t last = outcome.exited ? newest_snapshot(env, target.world) : 0;
    if (options->json)
      fmt::print("{}\n", nlohmann::json{{"pid", outcome.pid}, {"exited", outcome.exited}, {"last_snapshot", last}}.dump());
    if (!outcome.exited) {
      fmt::print(stderr, "phantom: {}: pid {} still runs after {} s (a large last snapshot may still be writing); try again or look at its log\n",
                 target.world, outcome.pid, options->timeout_s);
      std::exit(exit_failure);
    }
    fmt::print(stderr, "phantom: {}: stopped (pid {}); last snapshot {}\n", target.world, outcome.pid, last);
    std::exit(exit_ok);
  });
}

void add_status_command(CLI::App& app) {
  struct Options {
    WorldArguments world;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("status", "Live figures of a running world: uptime, threads, heap, snapshots, pending output");
  add_world_arguments(cmd, options->world);
  cmd->add_flag("--json", options->json, "print one JSON object (the fields of docs/control.md)");
  cmd->callback([options] {
    system::WorldStatus status = exit_on_error(system::running_world_status(control_target(options->world)));
    if (options->json)
      fmt::print("{}\n", system::status_to_json(status).dump(2));
    else
      print_status(status);
    std::exit(exit_ok);
  });
}

void add_attach_command(CLI::App& app) {
  auto options = std::make_shared<WorldArguments>();
  CLI::App* cmd = app.add_subcommand("attach", "Attach this terminal to the console of a world started with phantom run --detach");
  add_world_arguments(cmd, *options);
  cmd->footer(fmt::format(
      "{} detaches; the world keeps running. Output printed while no one was attached is shown first\n"
      "(the last 64 KiB). Line editing stays on (the console reads lines); Ctrl-C goes to the world.\n"
      "One terminal at a time: a second attach is refused and names the first.",
      system::detach_key_name));
  cmd->callback([options] {
    system::ControlTarget target = control_target(*options);
    auto ended = system::attach_to_console(target, [&target] {
      fmt::print(stderr, "phantom: {}: attached to the console; {} detaches\n", target.world, system::detach_key_name);
    });
    switch (exit_on_error(std::move(ended))) {
      case host::RelayEnd::detached:
        fmt::print(stderr, "\nphantom: {}: detached; the world keeps running\n", target.world);
        break;
      case host::RelayEnd::stream_ended:
        fmt::print(stderr, "\nphantom: {}: the world stopped\n", target.world);
        break;
      case host::RelayEnd::input_ended:
        fmt::print(stderr, "\nphantom: {}: end of input; detached, the world keeps running\n", target.world);
        break;
    }
    std::exit(exit_ok);
  });
}

}  // namespace

void add_world_arguments(CLI::App* cmd, WorldArguments& arguments) {
  cmd->add_option("world", arguments.positional, "world image");
  cmd->add_option("-w,--world", arguments.option, "world image (instead of the positional argument)");
  cmd->add_option("--control", arguments.control, "control socket of the world (default: <world>.sock)");
}

system::ControlTarget control_target(const WorldArguments& arguments) {
  std::string world = arguments.option.empty() ? arguments.positional : arguments.option;
  if (world.empty() && arguments.control.empty()) {
    fmt::print(stderr, "phantom: which world? give its image (phantom status W) or its --control socket\n");
    std::exit(exit_usage);
  }
  if (world.empty()) world = arguments.control;
  return {world, arguments.control.empty() ? system::default_control_path(world) : arguments.control};
}

void add_control_commands(CLI::App& app, host::Env& env) {
  add_snapshot_command(app);
  add_stop_command(app, env);
  add_status_command(app);
  add_attach_command(app);
  add_graphics_commands(app);
}

}  // namespace phantom::cli
