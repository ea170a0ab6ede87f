// The subcommands a lean build leaves out (command line layer, system/lean.h): `phantom compile`,
// `screenshot` and `input` are not in --help; given anyway, they say why and exit 1.
#include "cli/cli_common.h"
#include "system/lean.h"

namespace phantom::cli {

[[noreturn]] void left_out(const char* what) {
  fmt::print(stderr, "phantom: {}\n", what);
  std::exit(exit_failure);
}

namespace {

void add_left_out_command(CLI::App& app, const char* name, const char* what) {
  CLI::App* cmd = app.add_subcommand(name, what);
  cmd->group("");  // not in --help
  cmd->allow_extras();
  cmd->set_help_flag();  // `phantom compile --help` says it is left out too
  cmd->prefix_command();  // whatever follows is ignored
  cmd->callback([what] { left_out(what); });
}

}  // namespace

void add_compile_command(CLI::App& app) { add_left_out_command(app, "compile", system::lean_no_compiler); }

void add_graphics_commands(CLI::App& app) {
  add_left_out_command(app, "screenshot", system::lean_no_windows);
  add_left_out_command(app, "input", system::lean_no_windows);
}

}  // namespace phantom::cli
