// Fault note: the last words of a process that dies while it runs a world (host layer).
// A small file beside the world (<world>.run) says which run of the world this process is (its boot
// number, the snapshot it resumed, when it started) and, when the process dies of a fault it can see,
// which fault, when, and which VM thread was running then. The next start reads it and writes the story
// into the world's event log (system/fault_history.h, docs/faults.md); a clean stop removes it.
//
// Faults it sees: a fatal signal (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT: a crash, a failed assertion,
// a VM panic), and faults that code reports just before ending the process (record_fatal_fault(): the
// watchdog, damage the store finds while reading). kill -9 and a power cut leave a note without a fault:
// the next start knows only that the run ended without a clean stop.
//
// The signal handler is async-signal-safe: the note is prepared when the run begins, and the handler
// fills in a copy and writes it with one pwrite; it then lets the signal kill the process as before.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace phantom::host {

enum class FaultKind : std::uint16_t { none = 0, signal = 1, watchdog = 2, store_damage = 3 };

struct FaultNote {
  std::uint64_t boot = 0;         // the run's number (the event log's boot number)
  std::uint64_t resumed_seq = 0;  // the snapshot it resumed (0: a new world)
  std::uint64_t started_ns = 0;   // wall clock, ns since the Unix epoch
  std::int64_t pid = 0;
  FaultKind fault = FaultKind::none;
  std::int32_t signal = 0;        // FaultKind::signal: which
  std::uint32_t thread_id = 0;    // the VM thread running at the fault (0: none, or not known)
  std::uint64_t fault_ns = 0;     // wall clock
  std::string text;               // what code said about the fault (at most 300 bytes)
};

// Installs the handlers for the fatal signals, once per process. Call it before anything installs its
// own (the mprotect write tracker chains to them for faults outside the arena). Until a run's note
// begins they only pass the signal on.
void install_fault_handlers();
// Starts this run's note at `path` (created or replaced, mode 0600).
Status begin_fault_note(const std::string& path, const FaultNote& run);
// Where the handlers read the running VM thread's id from (the VM's running_thread_id()).
void watch_running_thread(const std::atomic<std::uint32_t>* id);
// Records a fault the process is about to end of, found by code rather than a signal. The first fault
// recorded in a run is kept; a signal raised afterwards (an abort() that follows) does not replace it.
void record_fatal_fault(FaultKind kind, std::uint32_t thread_id, std::string_view text);
// The run ended cleanly (its stop is in the event log): the note is removed.
void end_fault_note();
// The note at `path`; nothing when there is none. A note that is not one (damaged, another format) is an error.
Result<std::optional<FaultNote>> read_fault_note(const std::string& path);

}  // namespace phantom::host
