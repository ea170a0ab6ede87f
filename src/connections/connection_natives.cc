// The `.internal.connection` natives (connections layer, subsystems.md §3.2), installed into the VM
// by the Hub. Arguments a program gets wrong (a name that is not a string or is too long, an op that
// is not an int) throw a string naming the problem; what the outside world refuses comes back as the
// original's int results (an errno; negative from block), with the reason in lastError().
#include "connections/hub.h"

namespace phantom::connections {
namespace {

using vm::NativeCall;
using vm::NativeOutcome;
using vm::Vm;

constexpr std::size_t max_name = 1023;

// Common checks; returns false (with `out` set) when the call is answered already.
bool usable(Vm& vm, NativeCall& c, std::uint32_t need, NativeOutcome& out) {
  if (c.nargs < need) {
    out = vm.throw_string(c, fmt::format("connection: this method takes {} argument(s)", need));
    return false;
  }
  if (!ConnectionView(vm, c.self).well_formed()) {
    out = vm.throw_string(c, "connection: this object was made by an older Phantom; make a new .internal.connection");
    return false;
  }
  return true;
}

NativeOutcome conn_connect(Vm& vm, NativeCall& c) {
  NativeOutcome out;
  if (!usable(vm, c, 1, out)) return out;
  if (!vm.is_a(c.args[0], vm::cid_string)) return vm.throw_string(c, "connect: the name must be a string, e.g. \"fio:data.txt\"");
  std::string_view name = vm.string_of(c.args[0]);
  if (name.size() > max_name)
    return vm.throw_string(c, fmt::format("connect: a name of {} bytes; at most {}", name.size(), max_name));
  return c.ret(vm.new_int(hub_of(vm).connect(c.self, std::string(name), false)));
}

NativeOutcome conn_disconnect(Vm& vm, NativeCall& c) {
  NativeOutcome out;
  if (!usable(vm, c, 0, out)) return out;
  int err = hub_of(vm).disconnect(c.self);
  if (err) hub_of(vm).set_error(ConnectionView(vm, c.self), "disconnect: not connected");
  return c.ret(vm.new_int(err));
}

NativeOutcome conn_check(Vm& vm, NativeCall& c) { return c.ret(vm.new_int(p_ENXIO)); }  // as the original

// The Link of a connected connection, or nullptr with lastError() set.
Link* connected_link(Vm& vm, NativeCall& c) {
  Hub& hub = hub_of(vm);
  ConnectionView view(vm, c.self);
  Link* link = hub.link(c.self);
  if (link) return link;
  // A connection whose re-making failed after a restore keeps that message: it names the restart.
  vm::Ref error = view.slot(slot_error);
  bool names_restart = vm.is_a(error, vm::cid_string) && vm.string_of(error).find("restart") != std::string_view::npos;
  if (!names_restart)
    hub.set_error(view, view.name().empty() ? "not connected: call connect first"
                                            : view.name() + ": not connected (disconnected, or connect failed)");
  return nullptr;
}

bool int_arg(Vm& vm, NativeCall& c, std::uint32_t k, int& out) {
  if (!vm.is_int(c.args[k])) return false;
  out = vm.int_of(c.args[k]);
  return true;
}

NativeOutcome conn_invoke(Vm& vm, NativeCall& c) {
  NativeOutcome out;
  if (!usable(vm, c, 2, out)) return out;
  int op;
  if (!int_arg(vm, c, 1, op)) return vm.throw_string(c, "invoke: the operation (second argument) must be an int");
  Link* link = connected_link(vm, c);
  if (!link) return c.ret(vm.new_int(p_ENOTCONN));
  return link->backend->invoke(hub_of(vm), ConnectionView(vm, c.self), *link, c, c.args[0], op);
}

NativeOutcome conn_block(Vm& vm, NativeCall& c) {
  NativeOutcome out;
  if (!usable(vm, c, 2, out)) return out;
  int op;
  if (!int_arg(vm, c, 1, op)) return vm.throw_string(c, "block: the operation (second argument) must be an int");
  Link* link = connected_link(vm, c);
  if (!link) return c.ret(vm.new_int(-p_ENOTCONN));
  return link->backend->block(hub_of(vm), ConnectionView(vm, c.self), *link, c, c.args[0], op);
}

NativeOutcome conn_set_callback(Vm& vm, NativeCall& c) {
  NativeOutcome out;
  if (!usable(vm, c, 2, out)) return out;
  int method;
  if (!int_arg(vm, c, 1, method) || method < 0)
    return vm.throw_string(c, "setCallback: the method ordinal (second argument) must be an int >= 0");
  ConnectionView view(vm, c.self);
  bool had = !vm.is_null(view.slot(slot_callback));
  view.set_slot(slot_callback, vm.is_null(c.args[0]) ? vm.null_object() : c.args[0]);
  view.set_slot(slot_method, vm::tag_int(method));
  return c.ret(vm.new_int(had ? 1 : 0));
}

NativeOutcome conn_last_error(Vm& vm, NativeCall& c) {
  NativeOutcome out;
  if (!usable(vm, c, 0, out)) return out;
  vm::Ref e = ConnectionView(vm, c.self).slot(slot_error);
  return c.ret(vm.is_a(e, vm::cid_string) ? e : vm.new_string(""));
}

NativeOutcome conn_is_connected(Vm& vm, NativeCall& c) {
  NativeOutcome out;
  if (!usable(vm, c, 0, out)) return out;
  return c.ret(vm.new_int(hub_of(vm).link(c.self) ? 1 : 0));
}

}  // namespace

void Hub::install_natives() {
  vm_.set_native(vm::cid_connection, 8, &conn_connect);
  vm_.set_native(vm::cid_connection, 9, &conn_disconnect);
  vm_.set_native(vm::cid_connection, 10, &conn_check);
  vm_.set_native(vm::cid_connection, 11, &conn_invoke);
  vm_.set_native(vm::cid_connection, 12, &conn_set_callback);
  vm_.set_native(vm::cid_connection, 13, &conn_block);
  vm_.set_native(vm::cid_connection, 16, &conn_last_error);
  vm_.set_native(vm::cid_connection, 17, &conn_is_connected);
}

}  // namespace phantom::connections
