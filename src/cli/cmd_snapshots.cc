// phantom snapshots: lists the committed snapshots of a world (command line layer).
#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "store/world_info.h"

namespace phantom::cli {

void add_snapshots_command(CLI::App& app, host::Env& env) {
  struct Options {
    std::string world;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("snapshots", "List the committed snapshots of a world");
  cmd->add_option("world", options->world, "world image")->required();
  cmd->add_flag("--json", options->json, "print JSON instead of a table");
  cmd->callback([options, &env] {
    auto device = exit_on_error(env.open_block_device(options->world, host::OpenMode::read_only));
    store::WorldInfo info = exit_on_error(store::read_world_info(*device, false));
    const auto& snapshots = info.current.snapshots;
    std::uint64_t newest = snapshots.empty() ? 0 : snapshots.back().seq;
    if (options->json) {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& s : snapshots)
        out.push_back({{"seq", s.seq},
                       {"parent", s.parent_seq},
                       {"time_ns", s.time_ns},
                       {"time", format_time(s.time_ns)},
                       {"pages_in_use", s.pages_in_use},
                       {"bytes_in_use", s.pages_in_use * 4096},
                       {"pages_written", s.data_blocks_written},
                       {"nodes_written", s.node_blocks_written},
                       {"current", s.seq == newest}});
      fmt::print("{}\n", out.dump(2));
      return;
    }
    if (snapshots.empty()) {
      fmt::print("{}: no snapshot committed yet\n", options->world);
      return;
    }
    fmt::print("{:>8}  {:<24}  {:>12}  {:>13}  {:>13}\n", "SEQ", "TIME (UTC)", "SIZE", "PAGES WRITTEN", "NODES WRITTEN");
    for (const auto& s : snapshots)
      fmt::print("{:>8}  {:<24}  {:>12}  {:>13}  {:>13}{}\n", s.seq, format_time(s.time_ns),
                 format_bytes(s.pages_in_use * 4096), s.data_blocks_written, s.node_blocks_written,
                 s.seq == newest ? "  (current)" : "");
    for (const auto& p : info.problems) fmt::print(stderr, "phantom: warning: {}\n", p);
  });
}

}  // namespace phantom::cli
