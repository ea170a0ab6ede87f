// Fault history and crash-loop recovery (system layer). May call: util/, host/ (the note's type), store/ (the events).
#include "system/fault_history.h"

#include <signal.h>

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace phantom::system {
namespace {

std::string signal_description(int signo) {
  switch (signo) {
    case SIGSEGV: return "SIGSEGV (an invalid memory access)";
    case SIGBUS: return "SIGBUS (a bus error)";
    case SIGILL: return "SIGILL (an illegal instruction)";
    case SIGFPE: return "SIGFPE (an arithmetic fault)";
    case SIGABRT: return "SIGABRT (abort: a failed assertion, a VM panic or an unhandled C++ exception)";
    default: return fmt::format("signal {}", signo);
  }
}

std::string fault_text(const host::FaultNote& note) {
  std::string what;
  switch (note.fault) {
    case host::FaultKind::signal: what = "the process died of " + signal_description(note.signal); break;
    case host::FaultKind::watchdog: what = "watchdog: " + note.text; break;
    case host::FaultKind::store_damage: what = "damage found while reading the world: " + note.text; break;
    case host::FaultKind::none: break;
  }
  if (note.fault == host::FaultKind::signal && !note.text.empty()) what += ": " + note.text;
  if (note.fault_ns > note.started_ns)
    what += fmt::format(", {:.1f} s after the run began", static_cast<double>(note.fault_ns - note.started_ns) / 1e9);
  return what;
}

// The action a crash_loop event recorded: the first word of its text.
std::string_view recorded_action(const store::Event& e) {
  std::string_view text = e.text;
  return text.substr(0, text.find(':'));
}

}  // namespace

store::Event make_event(EventKind kind, std::uint64_t time_ns, std::uint64_t boot, std::uint64_t seq, std::uint64_t detail,
                        std::string text) {
  store::Event e;
  e.kind = static_cast<std::uint16_t>(kind);
  e.time_ns = time_ns;
  e.boot = boot;
  e.seq = seq;
  e.detail = detail;
  e.text = std::move(text);
  return e;
}

const char* event_kind_name(std::uint16_t kind) {
  switch (static_cast<EventKind>(kind)) {
    case EventKind::boot: return "boot";
    case EventKind::stop: return "stop";
    case EventKind::unclean_end: return "unclean-end";
    case EventKind::fault: return "fault";
    case EventKind::thread_fault: return "thread-fault";
    case EventKind::crash_loop: return "crash-loop";
    case EventKind::rollback: return "rollback";
    case EventKind::quarantine: return "quarantine";
    case EventKind::release: return "release";
    case EventKind::refused: return "refused";
    case EventKind::damage: return "damage";
  }
  return "unknown";
}

std::optional<CrashLoopAction> parse_crash_loop_action(std::string_view name) {
  if (name == "quarantine") return CrashLoopAction::quarantine;
  if (name == "rollback") return CrashLoopAction::rollback;
  if (name == "stop") return CrashLoopAction::stop;
  if (name == "ignore") return CrashLoopAction::ignore;
  return std::nullopt;
}

const char* crash_loop_action_name(CrashLoopAction action) {
  switch (action) {
    case CrashLoopAction::quarantine: return "quarantine";
    case CrashLoopAction::rollback: return "rollback";
    case CrashLoopAction::stop: return "stop";
    case CrashLoopAction::ignore: return "ignore";
  }
  return "?";
}

std::vector<RunRecord> runs_of(const std::vector<store::Event>& events) {
  std::vector<RunRecord> runs;
  std::map<std::uint64_t, std::size_t> by_boot;
  for (const store::Event& e : events) {
    auto kind = static_cast<EventKind>(e.kind);
    if (kind == EventKind::boot) {
      by_boot[e.boot] = runs.size();
      RunRecord r;
      r.boot = e.boot;
      r.resumed_seq = e.seq;
      r.started_ns = e.time_ns;
      runs.push_back(r);
      continue;
    }
    if (kind != EventKind::stop && kind != EventKind::unclean_end && kind != EventKind::fault) continue;
    auto it = by_boot.find(e.boot);
    if (it == by_boot.end()) continue;  // its boot fell off the bounded log
    RunRecord& r = runs[it->second];
    if (r.end != RunRecord::End::running) continue;
    r.end = kind == EventKind::stop ? RunRecord::End::stopped : kind == EventKind::fault ? RunRecord::End::fault : RunRecord::End::unclean;
    r.ended_ns = e.time_ns;
    if (kind == EventKind::fault) {
      r.thread_id = static_cast<std::uint32_t>(e.detail);
      r.what = e.text;
    }
  }
  return runs;
}

std::vector<store::Event> events_from_note(const std::vector<store::Event>& events, const std::optional<host::FaultNote>& note,
                                           std::uint64_t now_ns) {
  std::vector<store::Event> out;
  std::vector<RunRecord> runs = runs_of(events);
  bool note_run_known = false;
  for (const RunRecord& r : runs) {
    bool from_note = note && note->boot == r.boot;
    note_run_known |= from_note;
    if (r.end != RunRecord::End::running) continue;
    if (from_note && note->fault != host::FaultKind::none)
      out.push_back(make_event(EventKind::fault, note->fault_ns, r.boot, r.resumed_seq, note->thread_id, fault_text(*note)));
    else
      out.push_back(make_event(EventKind::unclean_end, now_ns, r.boot, r.resumed_seq, 0,
                               "the process ended without a clean stop and without a fault it saw (kill -9, a power cut, "
                               "or the system's out-of-memory killer)"));
  }
  if (note && !note_run_known) {
    // The process died before its boot event was durable: the note tells the run's story.
    out.push_back(make_event(EventKind::boot, note->started_ns, note->boot, note->resumed_seq, static_cast<std::uint64_t>(note->pid),
                             "taken from the run's fault note: the process ended before its boot was in the log"));
    if (note->fault != host::FaultKind::none)
      out.push_back(make_event(EventKind::fault, note->fault_ns, note->boot, note->resumed_seq, note->thread_id, fault_text(*note)));
    else
      out.push_back(make_event(EventKind::unclean_end, now_ns, note->boot, note->resumed_seq, 0,
                               "the process ended without a clean stop and without a fault it saw"));
  }
  return out;
}

CrashLoopDecision decide_crash_loop(const std::vector<store::Event>& events, std::uint64_t resumed,
                                    const std::vector<std::uint64_t>& retained, const CrashLoopPolicy& policy) {
  CrashLoopDecision d;
  d.snapshot = resumed;
  // The last action taken on this snapshot: failures count from the run it applied to, and the
  // threads quarantined in it are held back again at every start that resumes it.
  std::uint64_t counted_from_boot = 0;
  std::string_view last_action;
  for (const store::Event& e : events) {
    if (e.seq != resumed) continue;
    if (e.kind == static_cast<std::uint16_t>(EventKind::crash_loop)) {
      // Only an action that changed something starts the count again; after a refusal or an
      // ignored loop the world is as it was.
      std::string_view action = recorded_action(e);
      if (action != "quarantine" && action != "rollback") continue;
      counted_from_boot = e.boot;
      last_action = action;
    } else if (e.kind == static_cast<std::uint16_t>(EventKind::quarantine)) {
      auto id = static_cast<std::uint32_t>(e.detail);
      if (std::find(d.threads.begin(), d.threads.end(), id) == d.threads.end()) d.threads.push_back(id);
    }
  }
  std::vector<RunRecord> runs = runs_of(events);
  std::vector<std::uint32_t> faulting;
  for (auto r = runs.rbegin(); r != runs.rend(); ++r) {
    if (r->end == RunRecord::End::unclean || r->end == RunRecord::End::running) continue;  // says nothing either way
    if (r->end == RunRecord::End::stopped || r->resumed_seq != resumed || r->boot < counted_from_boot) break;
    if (r->ended_ns < r->started_ns || r->ended_ns - r->started_ns > policy.window_s * 1'000'000'000ull) break;
    if (d.failures == 0)
      d.last_fault = r->what + (r->thread_id ? fmt::format(" (VM thread {} was running)", r->thread_id) : std::string());
    ++d.failures;
    if (r->thread_id && std::find(faulting.begin(), faulting.end(), r->thread_id) == faulting.end()) faulting.push_back(r->thread_id);
  }
  if (d.failures < policy.failures) return d;
  if (resumed == 0) {
    // A new world that fails before its first snapshot: no thread survives to be held back and there
    // is nothing to roll back to; booting it again would fail again.
    d.action = policy.action == CrashLoopAction::ignore ? CrashLoopDecision::Action::ignore : CrashLoopDecision::Action::stop;
    return d;
  }

  for (auto it = retained.rbegin(); it != retained.rend(); ++it)
    if (*it < resumed) {
      d.rollback_to = *it;
      break;
    }
  auto rollback_or_stop = [&] { d.action = d.rollback_to ? CrashLoopDecision::Action::rollback : CrashLoopDecision::Action::stop; };
  switch (policy.action) {
    case CrashLoopAction::ignore: d.action = CrashLoopDecision::Action::ignore; break;
    case CrashLoopAction::stop: d.action = CrashLoopDecision::Action::stop; break;
    case CrashLoopAction::rollback: rollback_or_stop(); break;
    case CrashLoopAction::quarantine: {
      // Quarantine first; when it did not help (the loop goes on after it) or there is no thread to
      // hold back (the faults came outside any VM thread), roll back.
      bool new_threads = std::any_of(faulting.begin(), faulting.end(), [&](std::uint32_t id) {
        return std::find(d.threads.begin(), d.threads.end(), id) == d.threads.end();
      });
      if (last_action == "quarantine" || !new_threads) {
        rollback_or_stop();
      } else {
        d.action = CrashLoopDecision::Action::quarantine;
        for (std::uint32_t id : faulting)
          if (std::find(d.threads.begin(), d.threads.end(), id) == d.threads.end()) d.threads.push_back(id);
      }
      break;
    }
  }
  return d;
}

std::string describe_event(const store::Event& e) {
  switch (static_cast<EventKind>(e.kind)) {
    case EventKind::boot:
      return (e.seq ? fmt::format("run {} began, resuming snapshot {}", e.boot, e.seq) : fmt::format("run {} began a new world", e.boot)) +
             (e.detail ? fmt::format(" (pid {})", e.detail) : std::string()) + (e.text.empty() ? "" : "; " + e.text);
    case EventKind::stop: return fmt::format("run {} stopped cleanly; its last snapshot is {}", e.boot, e.seq);
    case EventKind::unclean_end: return fmt::format("run {} ended: {}", e.boot, e.text);
    case EventKind::fault:
      return fmt::format("run {} failed: {}", e.boot, e.text) + (e.detail ? fmt::format("; VM thread {} was running", e.detail) : "");
    case EventKind::thread_fault: return fmt::format("VM thread {} ended: {}", e.detail, e.text);
    case EventKind::crash_loop:
      return fmt::format("crash loop: {} failures soon after resuming snapshot {}; {}", e.detail, e.seq, e.text);
    case EventKind::rollback: return fmt::format("rolled back to snapshot {}: {}", e.seq, e.text);
    case EventKind::quarantine: return fmt::format("VM thread {} quarantined (resuming snapshot {}): {}", e.detail, e.seq, e.text);
    case EventKind::release: return fmt::format("VM thread {} released from quarantine: {}", e.detail, e.text);
    case EventKind::refused: return fmt::format("start refused: {}", e.text);
    case EventKind::damage: return fmt::format("damage: {}", e.text);
  }
  return fmt::format("event of kind {}: {}", e.kind, e.text);
}

}  // namespace phantom::system
