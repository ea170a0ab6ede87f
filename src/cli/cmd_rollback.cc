// phantom rollback: makes an older snapshot of a stopped world current (command line layer).
#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "store/world_info.h"

namespace phantom::cli {

void add_rollback_command(CLI::App& app, host::Env& env) {
  struct Options {
    std::string world;
    std::uint64_t seq = 0;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("rollback", "Make an older snapshot current; newer snapshots are dropped");
  cmd->add_option("world", options->world, "world image (must not be running)")->required();
  cmd->add_option("--to", options->seq, "sequence number of the snapshot (see `phantom snapshots`)")->required();
  cmd->add_flag("--json", options->json, "print the result as JSON");
  cmd->callback([options, &env] {
    auto device = exit_on_error(env.open_block_device(options->world, host::OpenMode::open_existing));
    store::RollbackResult result = exit_on_error(store::rollback(*device, options->seq, env.clock().wall_ns()));
    if (options->json) {
      fmt::print("{}\n", nlohmann::json{{"seq", result.seq}, {"generation", result.generation}, {"dropped", result.dropped}}.dump());
      return;
    }
    fmt::print("{}: snapshot {} is current", options->world, result.seq);
    if (!result.dropped.empty()) fmt::print("; dropped {}", fmt::join(result.dropped, ", "));
    fmt::print("\n");
  });
}

}  // namespace phantom::cli
