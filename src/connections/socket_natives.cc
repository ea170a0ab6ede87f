// The natives of .internal.tcp and .internal.udp (connections layer, subsystems.md §4): sockets as
// objects with the connection's eight slots (connection.h), served by the tcp: and udp: backends, so
// they are on the restart list and follow docs/network.md like any connection. Unlike
// `.internal.connection`, whose operations answer error numbers, these throw a string naming the
// operation, the peer and the reason ("tcp 127.0.0.1:1883: connection refused"): plib's
// .phantom.net classes are built on them. The original's udp class was wired to the tcp table and its
// sendTo (ordinal 25, past the tcp table's end) panicked the VM; here each has its own table.
//
// .internal.tcp: 16 connect("HOST:PORT" or "listen:ADDR:PORT"), waits until connected; 17 disconnect;
//   19 send(string) → count; 21 recv(max) → 1..max bytes, "" at the end; 23 accept() → .internal.tcp;
//   ours: 18 localPort, 20 setImmediate(0|1) → previous, 22 status(0 peer address, 1 isOpen).
// .internal.udp: 16 bind(port int, or "ADDR:PORT"); 19 send(string) to the last sender; 21 recv();
//   23 recvFrom(array or null) → datagram, the sender put at [0]; 25 sendTo("HOST:PORT", string);
//   ours: 17 close, 18 localPort, 20 setImmediate(0|1) → previous, 22 lastSender.
#include "connections/hub.h"
#include "connections/socket_link.h"

namespace phantom::connections {
namespace {

using vm::NativeCall;
using vm::NativeOutcome;
using vm::Ref;
using vm::Vm;

// The connection-level operations of tcp_backend.cc and udp_backend.cc that these natives use.
enum TcpOp { op_tcp_receive = 0, op_tcp_send = 1, op_tcp_wait_connected = 2, op_tcp_accept = 3, op_tcp_mode = 4,
             op_tcp_peer = 6, op_tcp_local_port = 7, op_tcp_is_open = 8, op_tcp_connecting = 9 };
enum UdpOp { op_udp_receive = 0, op_udp_reply = 1, op_udp_send_to = 2, op_udp_mode = 4, op_udp_last_sender = 6,
             op_udp_local_port = 7 };

std::string last_error(Vm& vm, Ref self) {
  Ref e = ConnectionView(vm, self).slot(slot_error);
  return vm.is_a(e, vm::cid_string) ? std::string(vm.string_of(e)) : std::string("unknown error");
}

// Checks the object and the argument count; false (with `out` set) when the call is answered.
bool usable(Vm& vm, NativeCall& c, std::uint32_t need, const char* what, NativeOutcome& out) {
  if (c.nargs < need) {
    out = vm.throw_string(c, fmt::format("{}: takes {} argument(s)", what, need));
    return false;
  }
  if (!ConnectionView(vm, c.self).well_formed()) {
    out = vm.throw_string(c, fmt::format("{}: this socket object was made by an older Phantom; make a new one", what));
    return false;
  }
  return true;
}

// Runs backend operation `op` of the socket; a negative int answer becomes a thrown lastError().
NativeOutcome run(Vm& vm, NativeCall& c, std::string_view prefix, int op, Ref arg) {
  Hub& hub = hub_of(vm);
  Link* link = hub.link(c.self);
  ConnectionView view(vm, c.self);
  if (!link || link->backend->prefix() != prefix) {
    Ref e = view.slot(slot_error);
    bool names_restart = vm.is_a(e, vm::cid_string) && vm.string_of(e).find("restart") != std::string_view::npos;
    std::string kind = prefix == "tcp:" ? "tcp" : "udp";
    return vm.throw_string(c, names_restart ? last_error(vm, c.self)
                                            : fmt::format("{}: not {} (call {} first)", kind, prefix == "tcp:" ? "connected" : "bound",
                                                          prefix == "tcp:" ? "connect" : "bind"));
  }
  NativeOutcome out = link->backend->block(hub, view, *link, c, arg, op);
  if (out == NativeOutcome::value && vm::is_tagged_int(c.result) && vm::untag_int(c.result) < 0)
    return vm.throw_string(c, last_error(vm, c.self));
  return out;
}

// ---- .internal.tcp ----

NativeOutcome tcp_connect(Vm& vm, NativeCall& c) {
  NativeOutcome out;
  if (!usable(vm, c, 1, "tcp connect", out)) return out;
  if (!vm.is_a(c.args[0], vm::cid_string))
    return vm.throw_string(c, "tcp connect: the address must be a string, \"HOST:PORT\" or \"listen:ADDR:PORT\"");
  Hub& hub = hub_of(vm);
  std::string name = "tcp:" + std::string(vm.string_of(c.args[0]));
  if (name.size() > 1023) return vm.throw_string(c, "tcp connect: the address is too long");
  ConnectionView view(vm, c.self);
  // A call that waited runs again when woken (or after a restore): it then only waits. Any other call
  // connects afresh, also to the same peer (a program reconnecting after its peer closed).
  Link* link = hub.link(c.self);
  bool waiting = false;
  if (link && link->backend->prefix() == "tcp:" && view.name() == name) {
    NativeCall probe = c;
    waiting = link->backend->block(hub, view, *link, probe, vm.null_object(), op_tcp_connecting) == NativeOutcome::value &&
              vm::is_tagged_int(probe.result) && vm::untag_int(probe.result) == 1;
  }
  if (!waiting) {
    if (hub.connect(c.self, name, false) != 0) return vm.throw_string(c, last_error(vm, c.self));
  }
  out = run(vm, c, "tcp:", op_tcp_wait_connected, vm.null_object());
  // A connect that failed leaves the object unconnected, so that the next connect starts afresh.
  if (out == NativeOutcome::thrown) hub.disconnect(c.self);
  return out;
}

NativeOutcome tcp_disconnect(Vm& vm, NativeCall& c) {
  NativeOutcome out;
  if (!usable(vm, c, 0, "tcp disconnect", out)) return out;
  return c.ret(vm.new_int(hub_of(vm).disconnect(c.self)));
}

NativeOutcome tcp_send(Vm& vm, NativeCall& c) {
  NativeOutcome out;
  if (!usable(vm, c, 1, "tcp send", out)) return out;
  return run(vm, c, "tcp:", op_tcp_send, c.args[0]);
}

NativeOutcome tcp_recv(Vm& vm, NativeCall& c) {
  NativeOutcome out;
  if (!usable(vm, c, 1, "tcp recv", out)) return out;
  return run(vm, c, "tcp:", op_tcp_receive, c.args[0]);
}

NativeOutcome tcp_accept(Vm& vm, NativeCall& c) {
  NativeOutcome out;
  if (!usable(vm, c, 0, "tcp accept", out)) return out;
  return run(vm, c, "tcp:", op_tcp_accept, vm.null_object());
}

NativeOutcome tcp_local_port(Vm& vm, NativeCall& c) {
  NativeOutcome out;
  if (!usable(vm, c, 0, "tcp localPort", out)) return out;
  return run(vm, c, "tcp:", op_tcp_local_port, vm.null_object());
}

NativeOutcome tcp_set_immediate(Vm& vm, NativeCall& c) {
  NativeOutcome out;
  if (!usable(vm, c, 1, "tcp setImmediate", out)) return out;
  if (!vm.is_int(c.args[0])) return vm.throw_string(c, "tcp setImmediate: the argument is 0 (committed) or 1 (immediate)");
  return run(vm, c, "tcp:", op_tcp_mode, vm.new_int(vm.int_of(c.args[0]) ? 1 : 0));
}

NativeOutcome tcp_status(Vm& vm, NativeCall& c) {
  NativeOutcome out;
  if (!usable(vm, c, 1, "tcp status", out)) return out;
  if (!vm.is_int(c.args[0]) || vm.int_of(c.args[0]) < 0 || vm.int_of(c.args[0]) > 1)
    return vm.throw_string(c, "tcp status: 0 is the peer's address, 1 whether the socket is open");
  if (vm.int_of(c.args[0]) == 1 && !hub_of(vm).link(c.self)) return c.ret(vm.new_int(0));
  return run(vm, c, "tcp:", vm.int_of(c.args[0]) == 0 ? op_tcp_peer : op_tcp_is_open, vm.null_object());
}

// ---- .internal.udp ----

NativeOutcome udp_bind(Vm& vm, NativeCall& c) {
  NativeOutcome out;
  if (!usable(vm, c, 1, "udp bind", out)) return out;
  std::string address;
  if (vm.is_int(c.args[0]) && vm.int_of(c.args[0]) >= 0 && vm.int_of(c.args[0]) <= 65535)
    address = fmt::format("127.0.0.1:{}", vm.int_of(c.args[0]));  // the original's form: a local port
  else if (vm.is_a(c.args[0], vm::cid_string) && vm.string_of(c.args[0]).size() < 1000)
    address = std::string(vm.string_of(c.args[0]));
  else
    return vm.throw_string(c, "udp bind: the argument is a port (an int) or \"ADDR:PORT\"");
  if (hub_of(vm).connect(c.self, "udp:" + address, false) != 0) return vm.throw_string(c, last_error(vm, c.self));
  return c.ret(vm.new_int(0));
}

NativeOutcome udp_close(Vm& vm, NativeCall& c) {
  NativeOutcome out;
  if (!usable(vm, c, 0, "udp close", out)) return out;
  return c.ret(vm.new_int(hub_of(vm).disconnect(c.self)));
}

NativeOutcome udp_local_port(Vm& vm, NativeCall& c) {
  NativeOutcome out;
  if (!usable(vm, c, 0, "udp localPort", out)) return out;
  return run(vm, c, "udp:", op_udp_local_port, vm.null_object());
}

NativeOutcome udp_send(Vm& vm, NativeCall& c) {
  NativeOutcome out;
  if (!usable(vm, c, 1, "udp send", out)) return out;
  return run(vm, c, "udp:", op_udp_reply, c.args[0]);
}

NativeOutcome udp_set_immediate(Vm& vm, NativeCall& c) {
  NativeOutcome out;
  if (!usable(vm, c, 1, "udp setImmediate", out)) return out;
  if (!vm.is_int(c.args[0])) return vm.throw_string(c, "udp setImmediate: the argument is 0 (committed) or 1 (immediate)");
  return run(vm, c, "udp:", op_udp_mode, vm.new_int(vm.int_of(c.args[0]) ? 1 : 0));
}

NativeOutcome udp_recv(Vm& vm, NativeCall& c) {
  NativeOutcome out;
  if (!usable(vm, c, 0, "udp recv", out)) return out;
  return run(vm, c, "udp:", op_udp_receive, vm.null_object());
}

NativeOutcome udp_last_sender(Vm& vm, NativeCall& c) {
  NativeOutcome out;
  if (!usable(vm, c, 0, "udp lastSender", out)) return out;
  return run(vm, c, "udp:", op_udp_last_sender, vm.null_object());
}

NativeOutcome udp_recv_from(Vm& vm, NativeCall& c) {
  NativeOutcome out;
  if (!usable(vm, c, 1, "udp recvFrom", out)) return out;
  Ref into = c.args[0];
  if (!vm.is_null(into) && !vm.is_a(into, vm::cid_array))
    return vm.throw_string(c, "udp recvFrom: the argument is an array (the sender goes to its element 0) or null");
  out = run(vm, c, "udp:", op_udp_receive, vm.null_object());
  if (out != NativeOutcome::value || vm.is_null(into)) return out;
  Ref data = c.result;
  NativeCall sender = c;  // the same socket's last sender, which the receive just set
  if (run(vm, sender, "udp:", op_udp_last_sender, vm.null_object()) != NativeOutcome::value) return vm.throw_string(c, last_error(vm, c.self));
  vm.array_set(into, 0, sender.result);  // may throw: the datagram is taken; the retry takes the next
  return c.ret(data);
}

NativeOutcome udp_send_to(Vm& vm, NativeCall& c) {
  NativeOutcome out;
  if (!usable(vm, c, 2, "udp sendTo", out)) return out;
  if (!vm.is_a(c.args[0], vm::cid_string)) return vm.throw_string(c, "udp sendTo: the address must be a string \"HOST:PORT\"");
  if (!vm.is_a(c.args[1], vm::cid_string)) return vm.throw_string(c, "udp sendTo: the data must be a string");
  std::string_view to = vm.string_of(c.args[0]);
  auto colon = to.rfind(':');
  int port = -1;
  if (colon != std::string_view::npos && colon + 1 < to.size() && to.size() - colon <= 6) {
    port = 0;
    for (char ch : to.substr(colon + 1)) port = ch >= '0' && ch <= '9' ? port * 10 + (ch - '0') : -1000000;
  }
  if (port < 1 || port > 65535) return vm.throw_string(c, fmt::format("udp sendTo: '{}': expected HOST:PORT", to));
  // The udp: operation takes [host, port, data].
  Ref arg = vm.new_array();
  vm.array_push(arg, vm.new_string(to.substr(0, colon)));
  vm.array_push(arg, vm.new_int(port));
  vm.array_push(arg, c.args[1]);
  return run(vm, c, "udp:", op_udp_send_to, arg);
}

}  // namespace

void install_socket_natives(vm::Vm& vm) {
  vm.set_native(vm::cid_tcp, 16, &tcp_connect);
  vm.set_native(vm::cid_tcp, 17, &tcp_disconnect);
  vm.set_native(vm::cid_tcp, 18, &tcp_local_port);
  vm.set_native(vm::cid_tcp, 19, &tcp_send);
  vm.set_native(vm::cid_tcp, 20, &tcp_set_immediate);
  vm.set_native(vm::cid_tcp, 21, &tcp_recv);
  vm.set_native(vm::cid_tcp, 22, &tcp_status);
  vm.set_native(vm::cid_tcp, 23, &tcp_accept);
  vm.set_native(vm::cid_udp, 16, &udp_bind);
  vm.set_native(vm::cid_udp, 17, &udp_close);
  vm.set_native(vm::cid_udp, 18, &udp_local_port);
  vm.set_native(vm::cid_udp, 19, &udp_send);
  vm.set_native(vm::cid_udp, 20, &udp_set_immediate);
  vm.set_native(vm::cid_udp, 21, &udp_recv);
  vm.set_native(vm::cid_udp, 22, &udp_last_sender);
  vm.set_native(vm::cid_udp, 23, &udp_recv_from);
  vm.set_native(vm::cid_udp, 25, &udp_send_to);
}

}  // namespace phantom::connections
