// Run journal: one run of a world as the world's event log records it (system layer).
// At a start it completes the log with how the previous run ended (its fault note), decides whether
// the world is in a crash loop and acts on it (fault_history.h: quarantine, rollback, refuse), and
// makes this run's boot durable before any bytecode runs. While the world runs it queues the faults of
// VM threads for the next commit; at a clean stop it records the stop and removes the fault note.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "host/env.h"
#include "store/store.h"
#include "system/fault_history.h"
#include "vm/vm.h"

namespace phantom::system {

struct RunConfig;

class RunJournal {
 public:
  RunJournal(host::Env& env, const RunConfig& config);

  // Right after the store opened: reads the previous run's note, decides. A rollback happens here:
  // `store` is then closed, rolled back and opened again. Returns false when the start is refused
  // (--on-crash-loop stop); the reason is on stderr and in the log.
  // `reopen` opens the world's store again as the runner does.
  Result<bool> before_resume(std::unique_ptr<store::Store>& store, bool fresh,
                             const std::function<Result<std::unique_ptr<store::Store>>()>& reopen);
  // After the VM booted or attached, before it runs: holds back the quarantined threads, records the
  // events and this run's boot durably, and starts its fault note.
  Status begin_run(store::Store& store, vm::Vm& machine);
  // From the executor: a VM thread ended with an uncaught exception (durable with the next snapshot).
  void thread_failed(store::Store& store, std::uint32_t id, const std::string& name, const std::string& what);
  // After the last snapshot of a clean stop committed.
  void clean_stop(store::Store& store, std::uint64_t last_seq);
  // A quarantined thread was let run again (the control socket or the shell).
  void released(store::Store& store, std::uint32_t id, const std::string& summary);

  std::uint64_t boot() const { return boot_; }

 private:
  store::Event event(EventKind kind, std::uint64_t seq, std::uint64_t detail, std::string text) const;

  host::Env& env_;
  const RunConfig& config_;
  std::string note_path_;
  std::vector<store::Event> pending_;  // recorded by begin_run()
  CrashLoopDecision decision_;
  std::uint64_t boot_ = 0;
  std::uint64_t resumed_ = 0;
};

}  // namespace phantom::system
