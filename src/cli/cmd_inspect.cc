// phantom inspect: what a stored world holds, read without running it (command line layer).
// Store-level statistics for now; classes, threads and heap figures come with the virtual machine.
#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "store/world_info.h"

namespace phantom::cli {

void add_inspect_command(CLI::App& app, host::Env& env) {
  struct Options {
    std::string world;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("inspect", "Show what a stored world holds (store statistics)");
  cmd->add_option("world", options->world, "world image")->required();
  cmd->add_flag("--json", options->json, "print JSON");
  cmd->callback([options, &env] {
    auto device = exit_on_error(env.open_block_device(options->world, host::OpenMode::read_only));
    store::WorldInfo info = exit_on_error(store::read_world_info(*device, true));
    const store::CommitRecord& r = info.current;
    const store::SnapshotEntry* newest = r.snapshots.empty() ? nullptr : &r.snapshots.back();
    std::uint64_t pages = newest ? newest->pages_in_use : 0;
    std::uint64_t used = *info.referenced_blocks + store::first_data_block;
    nlohmann::json out{{"world", options->world},
                       {"world_id", store::format_world_id(r.world_id)},
                       {"format", fmt::format("{}.{}", store::format_major, r.minor)},
                       {"created", format_time(r.created_ns)},
                       {"last_commit", format_time(r.time_ns)},
                       {"generation", r.generation},
                       {"arena_base", fmt::format("{:#x}", r.geometry.arena_base)},
                       {"arena_bytes", r.geometry.arena_size},
                       {"tree_depth", r.geometry.tree_depth},
                       {"retention", r.retention},
                       {"snapshots", r.snapshots.size()},
                       {"current_seq", newest ? newest->seq : 0},
                       {"pages_in_use", pages},
                       {"image_blocks", info.image_blocks},
                       {"used_blocks", used},
                       {"node_blocks", *info.referenced_nodes},
                       {"free_blocks", info.image_blocks > used ? info.image_blocks - used : 0},
                       {"problems", info.problems}};
    if (options->json) {
      fmt::print("{}\n", out.dump(2));
      return;
    }
    fmt::print("world        {} ({})\n", options->world, store::format_world_id(r.world_id));
    fmt::print("format       {}.{}, generation {}\n", store::format_major, r.minor, r.generation);
    fmt::print("created      {}\n", format_time(r.created_ns));
    fmt::print("last commit  {}\n", format_time(r.time_ns));
    fmt::print("arena        {} at {:#x} (page tree depth {})\n", format_bytes(r.geometry.arena_size),
               r.geometry.arena_base, r.geometry.tree_depth);
    fmt::print("in use       {} pages ({}) in snapshot {}\n", pages, format_bytes(pages * 4096), newest ? newest->seq : 0);
    fmt::print("snapshots    {} retained (keeps {})\n", r.snapshots.size(), r.retention);
    fmt::print("image        {} blocks ({}): {} used ({} tree nodes), {} free\n", info.image_blocks,
               format_bytes(info.image_blocks * 4096), used, *info.referenced_nodes,
               info.image_blocks > used ? info.image_blocks - used : 0);
    for (const auto& p : info.problems) fmt::print("problem      {}\n", p);
  });
}

}  // namespace phantom::cli
