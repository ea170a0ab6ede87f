// flt:, fault injection for tests (connections layer): a program makes the process fail in a chosen
// way when it reaches a chosen state, so that tests of crash-loop recovery (docs/faults.md) fail the
// same way at the same point on every resume. Served only when `phantom run --test-faults` asks for
// it; otherwise the prefix is unknown, as in any world.
//   invoke(arg, 1)  the process dies of SIGSEGV (a store through a null pointer)
//   invoke(arg, 2)  the process aborts (SIGABRT, as a failed assertion or a VM panic does)
//   invoke(arg, 3)  the calling VM thread never reaches a safepoint again (the watchdog's case)
#include <csignal>
#include <cstdlib>
#include <thread>

#include "connections/backends.h"
#include "connections/hub.h"

namespace phantom::connections {
namespace {

class FaultInjectionBackend final : public Backend {
 public:
  std::string_view prefix() const override { return "flt:"; }
  OpenResult open(Hub&, ConnectionView, Link&, std::string_view, bool) override { return {}; }
  vm::NativeOutcome invoke(Hub& hub, ConnectionView conn, Link& link, vm::NativeCall& call, vm::Ref arg, int op) override {
    switch (op) {
      case 1: {
        std::fflush(stderr);
        volatile int* nowhere = nullptr;
        *nowhere = 1;
        std::abort();  // not reached
      }
      case 2: std::abort();
      case 3:
        for (;;) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      default: return Backend::invoke(hub, conn, link, call, arg, op);
    }
  }
};

}  // namespace

std::unique_ptr<Backend> make_fault_injection_backend() { return std::make_unique<FaultInjectionBackend>(); }

}  // namespace phantom::connections
