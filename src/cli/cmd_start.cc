// phantom start: loads a class into a world and starts its method 8 in a new VM thread (command line layer).
#include "cli/cli_common.h"
#include "system/lean.h"
#include "system/world_tools.h"
#ifndef PHANTOM_LEAN
#include "wasm/wasm_service.h"
#endif

namespace phantom::cli {

void add_start_command(CLI::App& app, host::Env& env) {
  struct Options {
    std::string world, control;
    std::string class_name;
    std::vector<std::string> class_path;
    std::string wasm;
    std::vector<std::string> wasm_args, wasm_env;
    std::int64_t resume_thread = -1;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("start", "Load a class into a running or stopped world and start it in a new VM thread");
  cmd->add_option("-w,--world", options->world, "world image")->required();
  cmd->add_option("class", options->class_name, "class whose method 8 runs in the new thread (with the boot object), e.g. .demo.sensors");
  auto* wasm = cmd->add_option("--wasm", options->wasm, "run this WebAssembly WASI command in the new thread instead (arguments after --)");
  auto* wasm_env = cmd->add_option("--wasm-env", options->wasm_env, "NAME=VALUE in the environment of the --wasm command (repeatable)")
                       ->allow_extra_args(false);
  auto* wasm_args = cmd->add_option("wasm-args", options->wasm_args, "arguments of the --wasm command, after --");
  if (system::lean_build) {  // left out (system/lean.h): refused below with the reason, not in --help
    for (CLI::Option* o : {wasm, wasm_env, wasm_args}) o->group("");
  } else {
    wasm->check(CLI::ExistingFile);
  }
  // One value per --classpath, so that `--classpath DIR CLASS` leaves CLASS to its positional.
  cmd->add_option("--classpath", options->class_path, "more directories to load the class from (this time only)")
      ->delimiter(':')
      ->allow_extra_args(false);
  cmd->add_option("--control", options->control, "control socket of a running world (default: <world>.sock)");
  cmd->add_option("--resume-thread", options->resume_thread,
                  "instead of starting a class, let VM thread N run again, which crash-loop recovery quarantined (docs/faults.md)")
      ->check(CLI::Range(1, 2147483647));
  cmd->footer(
      "A stopped world gets the thread in a new committed snapshot; it runs when the world runs next.\n"
#ifdef PHANTOM_LEAN
      "A running world is asked through its control socket and starts the thread at once.");
#else
      "A running world is asked through its control socket and starts the thread at once.\n"
      "With --wasm FILE [-- ARGS...] the thread runs a WebAssembly WASI command (docs/wasm.md).");
#endif
  cmd->callback([options, &env, wasm_env] {
    (void)wasm_env;  // read by a lean build only
#ifdef PHANTOM_LEAN
    if (!options->wasm.empty() || wasm_env->count()) left_out(system::lean_no_wasm);
#endif
    if (options->resume_thread > 0) {
      if (!options->class_name.empty() || !options->wasm.empty()) {
        fmt::print(stderr, "phantom start: --resume-thread takes no class and no --wasm\n");
        std::exit(exit_usage);
      }
      auto id = static_cast<std::uint32_t>(options->resume_thread);
      auto released = system::resume_thread_in_stopped_world(env, options->world, id);
      if (!released.ok() && released.error().code == Errc::busy) {
        system::ControlTarget target{options->world, options->control.empty() ? system::default_control_path(options->world) : options->control};
        auto asked = system::resume_thread_in_running_world(target, id);
        fmt::print(stderr, "phantom: {}: resumed {}\n", options->world, exit_on_error(std::move(asked)));
        std::exit(exit_ok);
      }
      fmt::print(stderr, "phantom: {}: resumed {}; it runs when the world runs\n", options->world, exit_on_error(std::move(released)));
      std::exit(exit_ok);
    }
#ifndef PHANTOM_LEAN
    if (!options->wasm.empty()) {
      if (!options->class_name.empty()) {
        // With --wasm, what CLI11 took for the class is the command's first argument.
        options->wasm_args.insert(options->wasm_args.begin(), options->class_name);
      }
      auto command = wasm::read_wasm_command(options->wasm, options->wasm_args, options->wasm_env);
      if (!command.ok()) {
        fmt::print(stderr, "phantom: {}\n", command.error().message);
        std::exit(exit_usage);
      }
      auto started = system::start_wasm_in_stopped_world(env, options->world, *command);
      if (!started.ok() && started.error().code == Errc::busy) {
        system::ControlTarget target{options->world, options->control.empty() ? system::default_control_path(options->world) : options->control};
        auto asked = system::start_wasm_in_running_world(target, *command);
        fmt::print(stderr, "phantom: {}: started {}\n", options->world, exit_on_error(std::move(asked)));
        std::exit(exit_ok);
      }
      fmt::print(stderr, "phantom: {}: started {}; it runs when the world runs\n", options->world, exit_on_error(std::move(started)));
      std::exit(exit_ok);
    }
#endif
    if (options->class_name.empty()) {
      std::fputs(system::lean_build ? "phantom start: give a class to start\n" : "phantom start: give a class to start, or --wasm FILE\n",
                 stderr);
      std::exit(exit_usage);
    }
    if (!options->wasm_args.empty()) {
      fmt::print(stderr, "phantom start: unexpected argument '{}' (arguments after the class are for --wasm)\n", options->wasm_args.front());
      std::exit(exit_usage);
    }
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
