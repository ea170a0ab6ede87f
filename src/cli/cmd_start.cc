// phantom start: loads a class into a world and starts its method 8 in a new VM thread (command line layer).
#include "cli/cli_common.h"
#include "system/world_tools.h"

namespace phantom::cli {

void add_start_command(CLI::App& app, host::Env& env) {
  struct Options {
    std::string world, control;
    std::string class_name;
    std::vector<std::string> class_path;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("start", "Load a class into a running or stopped world and start it in a new VM thread");
  cmd->add_option("-w,--world", options->world, "world image")->required();
  cmd->add_option("class", options->class_name, "class whose method 8 runs in the new thread (with the boot object), e.g. .demo.sensors")
      ->required();
  cmd->add_option("--classpath", options->class_path, "more directories to load the class from (this time only)")->delimiter(':');
  cmd->add_option("--control", options->control, "control socket of a running world (default: <world>.sock)");
  cmd->footer(
      "A stopped world gets the thread in a new committed snapshot; it runs when the world runs next.\n"
      "A running world is asked through its control socket and starts the thread at once.");
  cmd->callback([options, &env] {
    std::string name = options->class_name.starts_with('.') ? options->class_name : "." + options->class_name;
    auto started = system::start_in_stopped_world(env, options->world, name, options->class_path);
    if (!started.ok() && started.error().code == Errc::busy) {
      system::ControlTarget target{options->world, options->control.empty() ? system::default_control_path(options->world) : options->control};
      auto asked = system::start_in_running_world(target, name, options->class_path);
      fmt::print(stderr, "phantom: {}: started {}\n", options->world, exit_on_error(std::move(asked)));
      std::exit(exit_ok);
    }
    fmt::print(stderr, "phantom: {}: started {}; it runs when the world runs\n", options->world, exit_on_error(std::move(started)));
    std::exit(exit_ok);
  });
}

}  // namespace phantom::cli
