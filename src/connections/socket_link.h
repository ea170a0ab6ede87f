// What tcp: and udp: share (connections layer): the VM threads parked on one socket connection, and
// how a host thread (the event loop, the resolver) wakes them. A parked thread's IP stays on its
// native call, so a woken thread simply runs the operation again and finds what it waited for (or
// waits again); a wake-up that finds nothing new costs one re-run, never a wrong answer.
#pragma once

#include <vector>

#include "connections/backend.h"
#include "connections/hub.h"

namespace phantom::connections {

// The readiness bits EventLoop::watch() takes (epoll's values, which the event loop passes through).
constexpr std::uint32_t ev_in = 0x001, ev_out = 0x004, ev_error = 0x008, ev_hangup = 0x010, ev_read_hangup = 0x2000,
                        ev_edge = 1u << 31;

struct SocketLink : LinkState {
  std::vector<vm::Ref> waiters;  // executor only
};

// Executor: parks the calling thread on `link` until wake_socket_waiters().
inline vm::NativeOutcome park_on_socket(Hub& hub, SocketLink& link, vm::NativeCall& call) {
  hub.vm().thread_data(call.thread)->state = vm::ThreadState::wait_connection;
  link.waiters.push_back(call.thread);
  return vm::NativeOutcome::blocked;
}

// Any thread: makes the threads parked on connection `conn` run their operation again.
inline void wake_socket_waiters(Hub& hub, vm::Ref conn) {
  hub.vm().post([&hub, conn] {
    Link* link = hub.link(conn);
    auto* sl = link ? dynamic_cast<SocketLink*>(link->state.get()) : nullptr;
    if (!sl) return;
    for (vm::Ref t : std::exchange(sl->waiters, {}))
      if (hub.vm().thread_data(t)->state == vm::ThreadState::wait_connection) hub.vm().make_runnable(t);
  });
}

// Executor, when the link goes away (disconnect): its parked threads run again and find it closed.
inline void wake_all_now(Hub& hub, SocketLink& link) {
  for (vm::Ref t : std::exchange(link.waiters, {}))
    if (hub.vm().thread_data(t)->state == vm::ThreadState::wait_connection) hub.vm().make_runnable(t);
}

// The natives of .internal.tcp and .internal.udp (socket_natives.cc), served by tcp: and udp:.
void install_socket_natives(vm::Vm& vm);

}  // namespace phantom::connections
