// phantom events: the world's event log (command line layer): its runs, faults, crash loops,
// rollbacks and quarantines, oldest first (docs/faults.md). Reads the image without locking it, so it
// works on a running world too.
#include <nlohmann/json.hpp>

#include "cli/cli_common.h"
#include "host/fault_note.h"
#include "store/world_info.h"
#include "system/fault_history.h"

namespace phantom::cli {

void add_events_command(CLI::App& app, host::Env& env) {
  struct Options {
    std::string world, control;
    bool json = false;
    std::size_t last = 0;
  };
  auto options = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("events", "Show the world's event log: runs, faults, crash loops, rollbacks, quarantines");
  cmd->add_option("world", options->world, "world image")->required();
  cmd->add_flag("--json", options->json, "print a JSON array instead of a table");
  cmd->add_option("--last", options->last, "only the newest N events");
  cmd->add_option("--control", options->control, "control socket of the world, if it runs (default: <world>.sock)");
  cmd->footer(
      "The log is inside the image: as durable as the world, and kept across rollbacks. A run that ended\n"
      "without a stop since its last start is completed from its fault note (<world>.run) at the next\n"
      "start; until then it is shown here marked \"(pending)\".");
  cmd->callback([options, &env] {
    auto device = exit_on_error(env.open_block_device(options->world, host::OpenMode::read_only));
    store::EventLogRead read = exit_on_error(store::read_event_log(*device));
    for (int again = 0; read.image_grew && again < 3; ++again) {
      // A running world grew its image after the device was opened (a read-only device keeps the size
      // it saw): open it again to see the new blocks.
      device = exit_on_error(env.open_block_device(options->world, host::OpenMode::read_only));
      read = exit_on_error(store::read_event_log(*device));
    }
    std::vector<store::Event> events = read.events;
    std::size_t logged = events.size();
    // A world that is not running may have a run whose end only its fault note knows yet.
    system::ControlTarget target{options->world, options->control.empty() ? system::default_control_path(options->world) : options->control};
    if (!system::running_world_status(target).ok()) {
      auto note = host::read_fault_note(system::fault_note_path(options->world));
      if (note.ok()) {
        auto from_note = system::events_from_note(events, *note, env.clock().wall_ns());
        events.insert(events.end(), from_note.begin(), from_note.end());
      }
    }
    std::size_t first = options->last && options->last < events.size() ? events.size() - options->last : 0;
    if (options->json) {
      nlohmann::json out = nlohmann::json::array();
      for (std::size_t i = first; i < events.size(); ++i) {
        const store::Event& e = events[i];
        out.push_back({{"number", i < logged ? nlohmann::json(e.number) : nlohmann::json(nullptr)},
                       {"time_ns", e.time_ns},
                       {"time", format_time(e.time_ns)},
                       {"kind", system::event_kind_name(e.kind)},
                       {"run", e.boot},
                       {"snapshot", e.seq},
                       {"detail", e.detail},
                       {"text", e.text},
                       {"description", system::describe_event(e)},
                       {"pending", i >= logged}});
      }
      fmt::print("{}\n", out.dump(2));
    } else if (events.empty()) {
      fmt::print("{}: no events yet\n", options->world);
    } else {
      fmt::print("{:>6}  {:<24}  {:<12}  {}\n", "#", "TIME (UTC)", "KIND", "WHAT");
      for (std::size_t i = first; i < events.size(); ++i) {
        const store::Event& e = events[i];
        fmt::print("{:>6}  {:<24}  {:<12}  {}{}\n", i < logged ? std::to_string(e.number) : "-", format_time(e.time_ns),
                   system::event_kind_name(e.kind), system::describe_event(e), i < logged ? "" : " (pending)");
      }
    }
    for (const auto& p : read.problems) fmt::print(stderr, "phantom: warning: {}\n", p);
  });
}

}  // namespace phantom::cli
