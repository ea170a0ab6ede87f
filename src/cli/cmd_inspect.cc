// phantom inspect: what a stored world holds, read without running it (command line layer): the store's
// figures, and the VM's classes, threads and heap (system/world_tools.h). Nothing is written.
#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "store/world_info.h"
#include "system/world_tools.h"

namespace phantom::cli {

void add_inspect_command(CLI::App& app, host::Env& env) {
  struct Options {
    std::string world;
    bool json = false;
    bool store_only = false;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("inspect", "Show what a stored world holds: store figures, classes, VM threads, heap");
  cmd->add_option("world", options->world, "world image")->required();
  cmd->add_flag("--json", options->json, "print JSON");
  cmd->add_flag("--store-only", options->store_only, "only the store's figures (works on a running world)");
  cmd->callback([options, &env] {
    store::WorldInfo info;
    {
      auto device = exit_on_error(env.open_block_device(options->world, host::OpenMode::read_only));
      info = exit_on_error(store::read_world_info(*device, true));
    }
    system::WorldContents contents;
    std::string contents_error;
    if (!options->store_only) {
      auto read = system::inspect_world(env, options->world);
      if (read.ok()) contents = std::move(read).value();
      else contents_error = read.error().message;
    }
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
    if (!options->store_only) {
      if (!contents_error.empty()) out["vm_error"] = contents_error;
      out["booted"] = contents.booted;
      out["classes"] = contents.classes;
      out["internal_classes"] = contents.internal_classes;
      out["threads"] = contents.threads;
      out["heap"] = {{"used_bytes", contents.heap_used}, {"capacity_bytes", contents.heap_capacity},
                     {"live_bytes_after_last_gc", contents.live_bytes}, {"gc_runs", contents.gc_runs}, {"boots", contents.boots}};
    }
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
    if (options->store_only) return;
    if (!contents_error.empty()) {
      fmt::print("vm           not read: {}\n", contents_error);
      return;
    }
    if (!contents.booted) {
      fmt::print("vm           not booted yet\n");
      return;
    }
    fmt::print("heap         {} used of {}, {} live after the last of {} collections; boot {} of this world\n",
               format_bytes(contents.heap_used), format_bytes(contents.heap_capacity), format_bytes(contents.live_bytes),
               contents.gc_runs, contents.boots);
    fmt::print("classes      {} loaded (and {} internal)\n", contents.classes.size(), contents.internal_classes);
    for (const auto& c : contents.classes) fmt::print("  {}\n", c);
    fmt::print("threads      {}\n", contents.threads.size());
    for (const auto& t : contents.threads) fmt::print("  {}\n", t);
  });
}

}  // namespace phantom::cli
