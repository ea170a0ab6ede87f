// phantom fsck: verifies every checksum and structure of a world, optionally repairs it
// (command line layer). Exit status 0 only when the image is clean.
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "store/fsck.h"

namespace phantom::cli {

void add_fsck_command(CLI::App& app, host::Env& env) {
  struct Options {
    std::string world;
    bool json = false;
    bool repair = false;
    bool progress = false;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("fsck", "Verify every checksum and structure of a world; repair on request");
  cmd->add_option("world", options->world, "world image")->required();
  cmd->add_flag("--json", options->json, "print the report as JSON");
  cmd->add_flag("--repair", options->repair,
                "make the newest intact snapshot current and drop damaged ones (the world must not be running)");
  cmd->add_flag("--progress", options->progress, "show progress on stderr (default when stderr is a terminal)");
  cmd->callback([options, &env] {
    auto mode = options->repair ? host::OpenMode::open_existing : host::OpenMode::read_only;
    auto device = exit_on_error(env.open_block_device(options->world, mode));
    store::FsckOptions fsck_options;
    fsck_options.repair = options->repair;
    fsck_options.now_ns = env.clock().wall_ns();
    if (options->progress || ::isatty(2))
      fsck_options.progress = [](std::uint64_t done, std::uint64_t total) {
        fmt::print(stderr, "\rfsck: {:3d}% ({} of {} pages)", total ? int(done * 100 / total) : 100, done, total);
        if (done >= total) fmt::print(stderr, "\n");
      };
    store::FsckReport report = exit_on_error(store::fsck(*device, fsck_options));
    if (options->json) {
      nlohmann::json snapshots = nlohmann::json::array();
      for (const auto& s : report.snapshots)
        snapshots.push_back({{"seq", s.seq}, {"intact", s.intact}, {"pages", s.pages}, {"nodes", s.nodes}});
      nlohmann::json out{{"world", options->world},
                         {"clean", report.clean()},
                         {"errors", report.errors},
                         {"snapshots", snapshots},
                         {"image_blocks", report.image_blocks},
                         {"referenced_blocks", report.referenced_blocks},
                         {"pages_verified", report.pages_verified},
                         {"nodes_verified", report.nodes_verified},
                         {"repaired", report.repaired},
                         {"repair", report.repair_summary}};
      fmt::print("{}\n", out.dump(2));
    } else {
      for (const auto& e : report.errors) fmt::print("{}\n", e);
      fmt::print("{}: {} snapshot(s), {} pages and {} nodes verified, {} of {} blocks in use: {}\n", options->world,
                 report.snapshots.size(), report.pages_verified, report.nodes_verified, report.referenced_blocks,
                 report.image_blocks, report.clean() ? "clean" : fmt::format("{} error(s)", report.errors.size()));
      if (report.repaired) fmt::print("{}: repaired: {}\n", options->world, report.repair_summary);
    }
    std::exit(report.clean() ? exit_ok : exit_failure);
  });
}

}  // namespace phantom::cli
