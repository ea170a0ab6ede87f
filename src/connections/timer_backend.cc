// tmr: sleeps, one-shot and periodic callbacks on the real wall clock (connections layer,
// subsystems.md §3.3 and §6). Unlike the original (§3.4), an armed timer is persistent state: it is
// re-armed after a restore and fires at its wall-clock time, or at once if that passed while the world
// was down; a sleep keeps its wake-up time, so it does not start over.
//
// A timer fires on the event loop's thread, which posts the firing to the executor: there, in one step,
// the timer is disarmed (or moved to its next period) and the callback becomes a new VM thread of the
// world. A snapshot holds both or neither, so a callback lost in a crash fires again after the restore.
#include "connections/backends.h"
#include "connections/hub.h"

namespace phantom::connections {
namespace {

struct TimerState {  // in the connection's state binary
  std::int64_t due_ns;      // wall clock
  std::int64_t period_ns;   // 0: one-shot
  std::uint32_t armed;
  std::uint32_t reserved;
  std::uint64_t generation;  // tells a stale firing from the current one
  std::uint64_t fired;
};

struct TimerLink final : LinkState {
  host::EventLoop::TimerId id = 0;
};

enum TimerOp { op_once = 0, op_every = 1, op_cancel = 2 };

class TimerBackend final : public Backend {
 public:
  std::string_view prefix() const override { return "tmr:"; }
  std::uint32_t state_size() const override { return sizeof(TimerState); }

  OpenResult open(Hub& hub, ConnectionView conn, Link& link, std::string_view, bool restart) override {
    link.state = std::make_unique<TimerLink>();
    TimerState* st = conn.state<TimerState>();
    if (restart && st && st->armed) schedule(hub, conn.self(), link, *st);
    return {};
  }

  void close(Hub& hub, ConnectionView conn, Link& link) override {
    if (auto* tl = static_cast<TimerLink*>(link.state.get()); tl && tl->id) hub.loop().cancel_timer(tl->id);
    if (TimerState* st = conn.state<TimerState>()) st->armed = 0;
  }

  vm::NativeOutcome invoke(Hub& hub, ConnectionView conn, Link& link, vm::NativeCall& call, vm::Ref arg, int op) override {
    vm::Vm& vm = hub.vm();
    TimerState* st = conn.state<TimerState>();
    auto* tl = static_cast<TimerLink*>(link.state.get());
    if (!st) return Backend::invoke(hub, conn, link, call, arg, op);
    if (op == op_cancel) {
      bool was = st->armed;
      if (tl->id) hub.loop().cancel_timer(tl->id);
      tl->id = 0;
      st->armed = 0;
      ++st->generation;
      return call.ret(vm.new_int(was ? 0 : p_ENXIO));
    }
    if (op != op_once && op != op_every) {
      hub.set_error(conn, fmt::format("tmr: invoke has no operation {} (0 once, 1 every, 2 cancel)", op));
      return call.ret(vm.new_int(p_EINVAL));
    }
    if (!vm.is_int(arg) || vm.int_of(arg) < (op == op_every ? 1 : 0)) {
      hub.set_error(conn, op == op_every ? "tmr: the period is an int of milliseconds, at least 1"
                                         : "tmr: the delay is an int of milliseconds, at least 0");
      return call.ret(vm.new_int(p_EINVAL));
    }
    std::int64_t ms = vm.int_of(arg);
    if (tl->id) hub.loop().cancel_timer(tl->id);
    st->due_ns = vm.wall_now() + ms * 1'000'000;
    st->period_ns = op == op_every ? ms * 1'000'000 : 0;
    st->armed = 1;
    ++st->generation;
    schedule(hub, conn.self(), link, *st);
    return call.ret(vm.new_int(0));
  }

  // block(arg, msec): sleeps msec milliseconds; the wake-up time is kept in the thread, so a sleep
  // that a restart interrupted ends at the same wall-clock instant.
  vm::NativeOutcome block(Hub& hub, ConnectionView, Link&, vm::NativeCall& call, vm::Ref, int msec) override {
    return hub.vm().sleep(call, msec);
  }

 private:
  void schedule(Hub& hub, vm::Ref conn, Link& link, const TimerState& st) {
    auto* tl = static_cast<TimerLink*>(link.state.get());
    std::uint64_t generation = st.generation;
    Hub* h = &hub;
    tl->id = hub.loop().add_timer(st.due_ns, [h, conn, generation, this] {
      h->vm().post([h, conn, generation, this] { fire(*h, conn, generation); });
    });
  }

  // On the executor.
  void fire(Hub& hub, vm::Ref conn, std::uint64_t generation) {
    Link* link = hub.link(conn);
    if (!link || link->backend != this) return;
    vm::Vm& vm = hub.vm();
    ConnectionView view(vm, conn);
    TimerState* st = view.state<TimerState>();
    if (!st || !st->armed || st->generation != generation) return;
    std::int64_t now = vm.wall_now();
    // The payload: the wall time in seconds since 1970 (an int, as the original passes its clock).
    vm::Ref payload = vm.new_int(static_cast<std::int32_t>(now / 1'000'000'000));
    // Allocation first: if the heap is full the whole firing runs again after a collection.
    hub.deliver_callback(conn, payload);
    st = view.state<TimerState>();
    ++st->fired;
    hub.statistics().add(stat_timer_callbacks);
    if (st->period_ns > 0) {
      // Keep the phase: the next tick is the first multiple of the period after now; ticks missed
      // while the world was down are not delivered one by one.
      std::int64_t next = st->due_ns + st->period_ns;
      if (next <= now) next += ((now - next) / st->period_ns + 1) * st->period_ns;
      st->due_ns = next;
      schedule(hub, conn, *link, *st);
    } else {
      st->armed = 0;
      static_cast<TimerLink*>(link->state.get())->id = 0;
    }
  }
};

}  // namespace

std::unique_ptr<Backend> make_timer_backend() { return std::make_unique<TimerBackend>(); }

}  // namespace phantom::connections
