// phantom compile: the Phantom language compiler on the command line (command line layer).
#include "cli/cli_common.h"
#include "plc/compiler.h"

namespace phantom::cli {

void add_compile_command(CLI::App& app) {
  auto options = std::make_shared<plc::CompileOptions>();
  auto paths = std::make_shared<std::vector<std::string>>();
  auto no_default = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("compile", "Compile Phantom language sources (.ph) into class files (.pc)");
  cmd->add_option("files", options->files, "source files; all are compiled together, so they may refer to each other")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("-o,--output", options->out_dir, "directory for the class files (default: the current directory)")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--classpath,-I", *paths, "directories searched for imported classes, in order (repeatable, or ':'-separated)")
      ->allow_extra_args(false);  // `-I dir a.ph b.ph`: the files stay files
  cmd->add_flag("--no-default-classpath", *no_default, "do not search the built class library (plib) after the class path");
  cmd->add_flag("--listing", options->listing, "print the generated code of every method");
  cmd->footer(
      "Class files are written only when every file compiled without error. Diagnostics go to stderr as\n"
      "file:line:column: error: message, with the source line. Exit status: 0 ok, 1 errors, 2 usage.");
  cmd->callback([options, paths, no_default] {
    for (const std::string& p : *paths) {
      std::size_t start = 0;
      for (;;) {
        std::size_t colon = p.find(':', start);
        std::string dir = p.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
        if (!dir.empty()) options->class_path.push_back(dir);
        if (colon == std::string::npos) break;
        start = colon + 1;
      }
    }
    if (!*no_default) options->class_path.push_back(PHANTOM_PLIB_DIR);
    plc::CompileResult result = plc::compile(*options);
    std::fputs(result.diagnostics.c_str(), stderr);
    if (options->listing) std::fputs(result.listing.c_str(), stdout);
    if (result.errors) {
      fmt::print(stderr, "phantom: {} error{}, no class file written{}\n", result.errors, result.errors == 1 ? "" : "s",
                 result.removed.empty() ? "" : fmt::format("; {} stale class file{} removed", result.removed.size(),
                                                            result.removed.size() == 1 ? "" : "s"));
      std::exit(exit_failure);
    }
    std::exit(exit_ok);
  });
}

}  // namespace phantom::cli
