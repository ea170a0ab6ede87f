// Run journal (system layer). May call: util/, host/, store/, vm/.
#include "system/run_journal.h"

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "host/fault_note.h"
#include "host/service.h"
#include "store/world_info.h"
#include "system/world_runner.h"

namespace phantom::system {
namespace {

std::vector<std::uint64_t> retained_snapshots(const store::Store& store) {
  std::vector<std::uint64_t> seqs;
  for (const store::SnapshotEntry& s : store.record().snapshots) seqs.push_back(s.seq);
  return seqs;
}

std::string list_ids(const std::vector<std::uint64_t>& ids) {
  std::string out;
  for (std::uint64_t id : ids) out += (out.empty() ? "" : ", ") + std::to_string(id);
  return out;
}

}  // namespace

RunJournal::RunJournal(host::Env& env, const RunConfig& config)
    : env_(env), config_(config), note_path_(fault_note_path(config.world)) {}

store::Event RunJournal::event(EventKind kind, std::uint64_t seq, std::uint64_t detail, std::string text) const {
  return make_event(kind, env_.clock().wall_ns(), boot_, seq, detail, std::move(text));
}

Result<bool> RunJournal::before_resume(std::unique_ptr<store::Store>& store, bool fresh,
                                       const std::function<Result<std::unique_ptr<store::Store>>()>& reopen) {
  const char* world = config_.world.c_str();
  std::vector<store::Event> log = store->events();
  std::optional<host::FaultNote> note;
  if (auto read = host::read_fault_note(note_path_); read.ok()) note = *read;
  else std::fprintf(stderr, "phantom: %s: warning: %s (it is replaced)\n", world, read.error().message.c_str());
  for (const store::Event& e : log) boot_ = std::max(boot_, e.boot);
  if (note) boot_ = std::max(boot_, note->boot);
  ++boot_;

  pending_ = events_from_note(log, note, env_.clock().wall_ns());
  for (const std::string& warning : store->restore_report().warnings) pending_.push_back(event(EventKind::damage, 0, 0, warning));
  resumed_ = fresh ? 0 : store->restore_report().restored_seq;
  std::vector<store::Event> all = log;
  all.insert(all.end(), pending_.begin(), pending_.end());
  decision_ = decide_crash_loop(all, resumed_, retained_snapshots(*store), config_.crash_loop);

  using Action = CrashLoopDecision::Action;
  if (decision_.action == Action::none) return true;
  std::string loop = fmt::format("{} failures within {} s of resuming snapshot {}; the last: {}", decision_.failures,
                                 config_.crash_loop.window_s, decision_.snapshot, decision_.last_fault);
  switch (decision_.action) {
    case Action::none: break;
    case Action::ignore:
      pending_.push_back(event(EventKind::crash_loop, resumed_, decision_.failures, "ignore: --on-crash-loop ignore"));
      std::fprintf(stderr, "phantom: %s: warning: crash loop: %s; started as it is (--on-crash-loop ignore)\n", world, loop.c_str());
      break;
    case Action::quarantine:
      pending_.push_back(event(EventKind::crash_loop, resumed_, decision_.failures,
                               "quarantine: the threads running at the faults are held back"));
      std::fprintf(stderr, "phantom: %s: crash loop: %s\n", world, loop.c_str());
      break;
    case Action::stop: {
      std::string why = decision_.rollback_to || config_.crash_loop.action == CrashLoopAction::stop
                            ? std::string("--on-crash-loop stop")
                            : std::string("no older snapshot is left to roll back to");
      pending_.push_back(event(EventKind::crash_loop, resumed_, decision_.failures, "stop: " + why));
      pending_.push_back(event(EventKind::refused, resumed_, 0, loop));
      if (auto recorded = store->record_events(pending_); !recorded.ok())
        std::fprintf(stderr, "phantom: %s: warning: the event log: %s\n", world, recorded.error().message.c_str());
      std::string older = decision_.rollback_to ? fmt::format("  phantom rollback {} --to {}       go back to the snapshot before\n", world, decision_.rollback_to)
                                                : std::string();
      std::fprintf(stderr,
                   "phantom: %s: crash loop: %s.\nNot started (%s). Choose by hand:\n"
                   "  phantom events %s                 the story of the faults\n%s"
                   "  phantom run %s --on-crash-loop quarantine   hold back the threads that were running at the faults\n"
                   "  phantom run %s --on-crash-loop ignore       start it as it is\n",
                   world, loop.c_str(), why.c_str(), world, older.c_str(), world, world);
      return false;
    }
    case Action::rollback: {
      pending_.push_back(event(EventKind::crash_loop, resumed_, decision_.failures,
                               fmt::format("rollback: to snapshot {}", decision_.rollback_to)));
      PHANTOM_TRY(store->record_events(pending_));
      pending_.clear();
      store.reset();
      std::vector<std::uint64_t> dropped;
      {
        PHANTOM_ASSIGN(auto device, env_.open_block_device(config_.world, host::OpenMode::open_existing));
        PHANTOM_ASSIGN(store::RollbackResult rolled, store::rollback(*device, decision_.rollback_to, env_.clock().wall_ns()));
        dropped = rolled.dropped;
      }
      PHANTOM_ASSIGN(store, reopen());
      std::uint64_t from = resumed_;
      resumed_ = store->restore_report().restored_seq;
      pending_.push_back(event(EventKind::rollback, resumed_, from,
                               fmt::format("crash loop at snapshot {}; dropped snapshot(s) {}", from, list_ids(dropped))));
      std::fprintf(stderr, "phantom: %s: crash loop: %s\nphantom: %s: rolled back to snapshot %llu (dropped %s); see phantom events %s\n",
                   world, loop.c_str(), world, static_cast<unsigned long long>(resumed_), list_ids(dropped).c_str(), world);
      // Threads quarantined earlier in the snapshot now resumed are held back again.
      std::vector<store::Event> now = store->events();
      now.insert(now.end(), pending_.begin(), pending_.end());
      decision_ = decide_crash_loop(now, resumed_, retained_snapshots(*store), CrashLoopPolicy{CrashLoopAction::ignore, ~0u, 0});
      decision_.action = Action::none;
      break;
    }
  }
  return true;
}

Status RunJournal::begin_run(store::Store& store, vm::Vm& machine) {
  const char* world = config_.world.c_str();
  if (resumed_ != 0 && !decision_.threads.empty()) {
    std::vector<std::string> held = machine.quarantine_threads(decision_.threads);
    bool new_quarantine = decision_.action == CrashLoopDecision::Action::quarantine;
    for (std::size_t i = 0; i < held.size(); ++i) {
      std::uint32_t id = static_cast<std::uint32_t>(std::stoul(held[i]));  // a summary starts with the id
      if (new_quarantine) pending_.push_back(event(EventKind::quarantine, resumed_, id, held[i]));
    }
    if (held.empty() && new_quarantine)
      std::fprintf(stderr, "phantom: %s: the threads of the faults are gone from snapshot %llu; nothing to quarantine\n", world,
                   static_cast<unsigned long long>(resumed_));
  }
  std::vector<std::uint32_t> quarantined = machine.quarantined_threads();
  if (!quarantined.empty()) {
    std::string ids;
    for (std::uint32_t id : quarantined) ids += (ids.empty() ? "" : ", ") + std::to_string(id);
    std::fprintf(stderr, "phantom: %s: quarantined VM thread(s) %s do not run (crash-loop recovery, docs/faults.md); "
                 "`phantom start %s --resume-thread N` or the shell's `resume N` lets one run again\n",
                 world, ids.c_str(), world);
  }
  pending_.push_back(event(EventKind::boot, resumed_, static_cast<std::uint64_t>(host::process_id()), ""));
  host::FaultNote note;
  note.boot = boot_;
  note.resumed_seq = resumed_;
  note.started_ns = env_.clock().wall_ns();
  note.pid = host::process_id();
  if (auto begun = host::begin_fault_note(note_path_, note); !begun.ok())
    std::fprintf(stderr, "phantom: %s: warning: %s; a fault of this run will not be told apart from a kill\n", world,
                 begun.error().message.c_str());
  host::watch_running_thread(&machine.running_thread_id());
  PHANTOM_TRY(store.record_events(std::move(pending_)));
  pending_.clear();
  return ok_status();
}

void RunJournal::thread_failed(store::Store& store, std::uint32_t id, const std::string& name, const std::string& what) {
  store.queue_event(event(EventKind::thread_fault, 0, id, fmt::format("{} ({})", what, name)));
}

void RunJournal::clean_stop(store::Store& store, std::uint64_t last_seq) {
  host::watch_running_thread(nullptr);
  auto recorded = store.record_events({event(EventKind::stop, last_seq, 0, "")});
  if (!recorded.ok()) {
    std::fprintf(stderr, "phantom: %s: warning: the stop could not be logged: %s\n", config_.world.c_str(),
                 recorded.error().message.c_str());
    return;
  }
  host::end_fault_note();
}

void RunJournal::released(store::Store& store, std::uint32_t id, const std::string& summary) {
  store.queue_event(event(EventKind::release, 0, id, summary));
}

}  // namespace phantom::system
