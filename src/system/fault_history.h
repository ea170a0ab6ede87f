// Fault history: what the world's event log means, and crash-loop recovery (system layer).
// The store keeps the events (store/event_log.h) without knowing what they say; this file gives them
// their kinds, reconstructs how each run of the world ended, and decides at every start whether the
// world is in a crash loop and what to do about it (docs/faults.md, the policy and its reasoning).
//
// A run is one `phantom run` of the world, numbered by its boot event. It ends with a stop event (a
// clean stop), with a fault event (the process died of a fault it saw, or the watchdog ended it), or
// with nothing: the next start then records an unclean end (kill -9, a power cut). Only faults count
// towards a crash loop: a kill or a power cut says nothing about the world's health.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "host/fault_note.h"
#include "store/event_log.h"

namespace phantom::system {

enum class EventKind : std::uint16_t {
  boot = 1,          // a run began; seq: the snapshot resumed (0: a new world); detail: the process id
  stop = 2,          // the run ended cleanly; seq: its last snapshot
  unclean_end = 3,   // the run ended without a stop and without a fault it saw (recorded at the next start)
  fault = 4,         // a fault ended the run; detail: the VM thread running then (0: none); text: what
  thread_fault = 5,  // a VM thread ended with an uncaught exception and the world ran on; detail: its id
  crash_loop = 6,    // a crash loop was found at this start; seq: the snapshot; detail: failures; text: action
  rollback = 7,      // seq: the snapshot made current; text: what was dropped and why
  quarantine = 8,    // detail: a thread held back; seq: the snapshot it was held back in
  release = 9,       // detail: a quarantined thread let run again
  refused = 10,      // the start was refused (--on-crash-loop stop)
  damage = 11,       // the store found damage (a snapshot skipped at open, a bad page while reading)
};
const char* event_kind_name(std::uint16_t kind);
store::Event make_event(EventKind kind, std::uint64_t time_ns, std::uint64_t boot, std::uint64_t seq, std::uint64_t detail,
                        std::string text);
// The fault note of the world at `world` (host/fault_note.h): beside the image, as its control socket is.
inline std::string fault_note_path(const std::string& world) { return world + ".run"; }

// What to do about a crash loop (phantom run --on-crash-loop).
enum class CrashLoopAction { quarantine, rollback, stop, ignore };
struct CrashLoopPolicy {
  CrashLoopAction action = CrashLoopAction::quarantine;  // quarantine, then rollback when that fails too
  std::uint32_t failures = 3;    // K: failures that make a loop
  std::uint64_t window_s = 60;   // T: a failure counts when it came within T s of resuming
};
std::optional<CrashLoopAction> parse_crash_loop_action(std::string_view name);
const char* crash_loop_action_name(CrashLoopAction action);

// One run as the log tells it.
struct RunRecord {
  std::uint64_t boot = 0, resumed_seq = 0, started_ns = 0;
  enum class End { running, stopped, unclean, fault } end = End::running;
  std::uint64_t ended_ns = 0;
  std::uint32_t thread_id = 0;  // End::fault: the VM thread running at the fault
  std::string what;             // End::fault: the fault
};
std::vector<RunRecord> runs_of(const std::vector<store::Event>& events);

// The events that complete the log at a start: the previous run's end (from its fault note, which also
// supplies its boot event when the process died before that event was durable).
std::vector<store::Event> events_from_note(const std::vector<store::Event>& events, const std::optional<host::FaultNote>& note,
                                           std::uint64_t now_ns);

// What this start does.
struct CrashLoopDecision {
  enum class Action { none, quarantine, rollback, stop, ignore } action = Action::none;
  std::uint64_t snapshot = 0;            // the snapshot the loop resumes
  std::uint32_t failures = 0;            // counted since the last action on it
  std::vector<std::uint32_t> threads;    // quarantine: the threads running at the faults (also re-applied ones)
  std::uint64_t rollback_to = 0;         // rollback: the newest retained snapshot older than `snapshot`
  std::string last_fault;                // for messages: the newest fault, its thread and timing
};
// `events`: the log with events_from_note() appended; `resumed`: the snapshot this start would resume;
// `retained`: the snapshots the world keeps, oldest first.
CrashLoopDecision decide_crash_loop(const std::vector<store::Event>& events, std::uint64_t resumed,
                                    const std::vector<std::uint64_t>& retained, const CrashLoopPolicy& policy);

// One line for `phantom events` and for messages.
std::string describe_event(const store::Event& event);

}  // namespace phantom::system
