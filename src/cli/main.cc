// phantom: the command line entry point (command line layer). Builds the host Env once and hands it
// to the subcommand that the user named.
#include <ctime>

#include "cli/cli_common.h"

namespace phantom::cli {

std::string format_time(std::uint64_t wall_ns) {
  std::time_t seconds = static_cast<std::time_t>(wall_ns / 1'000'000'000ull);
  std::tm tm{};
  ::gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
  return fmt::format("{}.{:03d}Z", text, static_cast<int>((wall_ns / 1'000'000ull) % 1000));
}

std::string format_bytes(std::uint64_t bytes) {
  if (bytes >= (1ull << 30)) return fmt::format("{:.1f} GiB", bytes / double(1ull << 30));
  if (bytes >= (1ull << 20)) return fmt::format("{:.1f} MiB", bytes / double(1ull << 20));
  if (bytes >= (1ull << 10)) return fmt::format("{:.1f} KiB", bytes / double(1ull << 10));
  return fmt::format("{} B", bytes);
}

}  // namespace phantom::cli

int main(int argc, char** argv) {
  using namespace phantom;
  auto env = host::make_host_env();
  CLI::App app{"Phantom: an orthogonally persistent operating system, hosted on Linux.\n"
               "A world is one disk image holding every object; it survives any restart.",
               "phantom"};
  app.require_subcommand(1);
#ifdef PHANTOM_LEAN
  app.set_version_flag("--version", "phantom 0.1 (image format 1.0), lean: no windows, WebAssembly or compiler");
#else
  app.set_version_flag("--version", "phantom 0.1 (image format 1.0)");
#endif
  cli::add_run_command(app, *env);
  cli::add_snapshots_command(app, *env);
  cli::add_fsck_command(app, *env);
  cli::add_rollback_command(app, *env);
  cli::add_events_command(app, *env);
  cli::add_inspect_command(app, *env);
  cli::add_asm_commands(app);
  cli::add_compile_command(app);
  cli::add_start_command(app, *env);
  cli::add_control_commands(app, *env);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? cli::exit_ok : cli::exit_usage;
  }
  return cli::exit_ok;
}
