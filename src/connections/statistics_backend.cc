// stt: the world's statistics counters (connections layer, subsystems.md §3.3 and §6). block(index, op)
// returns one figure of one counter (statistics.h); nothing to connect, nothing to re-make.
#include "connections/backends.h"
#include "connections/hub.h"

namespace phantom::connections {
namespace {

class StatisticsBackend final : public Backend {
 public:
  std::string_view prefix() const override { return "stt:"; }
  OpenResult open(Hub&, ConnectionView, Link&, std::string_view, bool) override { return {}; }
  vm::NativeOutcome block(Hub& hub, ConnectionView conn, Link&, vm::NativeCall& call, vm::Ref arg, int op) override {
    vm::Vm& vm = hub.vm();
    if (!vm.is_int(arg)) {
      hub.set_error(conn, "stt: the argument is the counter's index, an int (0..127)");
      return call.ret(vm.new_int(-p_EINVAL));
    }
    std::int64_t v = hub.statistics().value(vm.int_of(arg), op);
    if (v < 0) {
      hub.set_error(conn, fmt::format("stt: no counter {} or no figure {} (0 per second, 1 average, 2 this run, "
                                      "3 previous runs, 4 all runs, 5 idle)", vm.int_of(arg), op));
      return call.ret(vm.new_int(-p_EINVAL));
    }
    return call.ret(v <= INT32_MAX ? vm.new_int(static_cast<std::int32_t>(v)) : vm.new_long(v));
  }
};

}  // namespace

std::unique_ptr<Backend> make_statistics_backend() { return std::make_unique<StatisticsBackend>(); }

}  // namespace phantom::connections
