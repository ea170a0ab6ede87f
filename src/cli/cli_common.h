// CLI common: what every subcommand shares (command line layer): the one exit-on-error helper,
// opening a world's device, and human-readable times and sizes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "host/env.h"
#include "system/control_client.h"
#include "util/result.h"

namespace phantom::cli {

// Exit codes shared by all subcommands.
constexpr int exit_ok = 0;
constexpr int exit_failure = 1;     // the operation failed, or fsck found damage
constexpr int exit_usage = 2;       // the command line was wrong

// Prints "phantom: <message>" to stderr and exits with exit_failure when `result` failed.
template <typename T>
T exit_on_error(Result<T> result) {
  if (!result.ok()) {
    fmt::print(stderr, "phantom: {}\n", result.error().message);
    std::exit(exit_failure);
  }
  return std::move(result).value();
}

std::string format_time(std::uint64_t wall_ns);
std::string format_bytes(std::uint64_t bytes);

// The world a control verb talks to: given as a positional argument or with --world, and its control
// socket (--control, default <world>.sock).
struct WorldArguments {
  std::string positional, option, control;
};
void add_world_arguments(CLI::App* cmd, WorldArguments& arguments);
system::ControlTarget control_target(const WorldArguments& arguments);

// Each subcommand registers itself on `app`; the callbacks run after parsing.
void add_run_command(CLI::App& app, host::Env& env);
void add_snapshots_command(CLI::App& app, host::Env& env);
void add_fsck_command(CLI::App& app, host::Env& env);
void add_rollback_command(CLI::App& app, host::Env& env);
void add_events_command(CLI::App& app, host::Env& env);
void add_inspect_command(CLI::App& app, host::Env& env);
void add_asm_commands(CLI::App& app);
void add_compile_command(CLI::App& app);
void add_start_command(CLI::App& app, host::Env& env);
void add_control_commands(CLI::App& app, host::Env& env);  // snapshot, stop, status, attach, graphics
void add_graphics_commands(CLI::App& app);  // screenshot, input (cmd_graphics.cc)
#ifdef PHANTOM_LEAN
// A lean build (system/lean.h): prints "phantom: <what>" and exits 1 (cmd_lean.cc).
[[noreturn]] void left_out(const char* what);
#endif

}  // namespace phantom::cli
