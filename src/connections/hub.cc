// Hub (connections layer): see hub.h.
#include "connections/hub.h"

#include <algorithm>
#include <chrono>

#include "connections/backends.h"
#include "connections/socket_link.h"
#include "vm/objects.h"

namespace phantom::connections {

int phantom_errno(Errc code) {
  switch (code) {
    case Errc::not_found: return p_ENOENT;
    case Errc::exists: return p_EEXIST;
    case Errc::denied: return p_EACCES;
    case Errc::no_space: return p_ENOSPC;
    case Errc::invalid_argument: return p_EINVAL;
    case Errc::busy: return p_EBUSY;
    case Errc::unsupported: return p_ENOSYS;
    default: return p_EIO;
  }
}

vm::NativeOutcome Backend::invoke(Hub& hub, ConnectionView conn, Link&, vm::NativeCall& call, vm::Ref, int op) {
  hub.set_error(conn, fmt::format("{}: invoke has no operation {}", prefix(), op));
  return call.ret(hub.vm().new_int(p_EINVAL));
}

vm::NativeOutcome Backend::block(Hub& hub, ConnectionView conn, Link&, vm::NativeCall& call, vm::Ref, int op) {
  hub.set_error(conn, fmt::format("{}: block has no operation {}", prefix(), op));
  return call.ret(hub.vm().new_int(-p_ENOSYS));
}

Hub::Hub(vm::Vm& vm) : vm_(vm) {}

Hub::~Hub() {
  // In this order: the host sides (sockets unwatch themselves from the loop), then the backends (their
  // resolver threads finish the name in hand, whose answer may still post to the loop), then the loop.
  links_.clear();
  backends_.clear();
  loop_.reset();  // no timer or event runs after this
  vm_.set_extension(vm::Vm::ext_connections, nullptr);
  vm_.set_outside_wakers(nullptr);
}

Result<std::unique_ptr<Hub>> Hub::create(vm::Vm& vm, vm::Console& console_device, const HubConfig& config) {
  std::unique_ptr<Hub> hub(new Hub(vm));
  hub->net_rules_ = config.net_rules;
  hub->restored_snapshot_ = config.restored_snapshot;
  if (!config.files_directory.empty()) {
    PHANTOM_ASSIGN(hub->files_, host::open_sandbox(config.files_directory, true));
  }
  std::unique_ptr<host::File> cursor;
  if (config.relay) {
    if (config.fresh_world) PHANTOM_TRY(config.relay->reset_cursor());
  } else if (!config.cursor_file.empty()) {
    auto slash = config.cursor_file.rfind('/');
    std::string dir = slash == std::string::npos ? "." : config.cursor_file.substr(0, slash);
    std::string base = slash == std::string::npos ? config.cursor_file : config.cursor_file.substr(slash + 1);
    PHANTOM_ASSIGN(auto parent, host::open_sandbox(dir.empty() ? "/" : dir, false));
    PHANTOM_ASSIGN(cursor, parent->open(base, host::FileOpen::read_write_create));
    if (config.fresh_world) {
      std::uint64_t zero = 0;
      PHANTOM_TRY(cursor->write_at(0, std::string_view(reinterpret_cast<const char*>(&zero), sizeof zero)));
    }
  }
  hub->outbox_ = std::make_unique<Outbox>(vm, hub->files_.get(), console_device, std::move(cursor), config.relay);
  hub->loop_ = host::start_event_loop();
  hub->backends_ = make_backends();
  if (config.fault_injection) hub->backends_.push_back(make_fault_injection_backend());
  hub->outbox_->on_released([h = hub.get()] { h->wake_parked(); });
  hub->outbox_->sync_elsewhere([h = hub.get()](std::function<void()> sync) { h->loop_->post(std::move(sync)); });
  vm.set_extension(vm::Vm::ext_connections, hub.get());
  // A connected connection can wake the world (a timer's callback, a request, a datagram).
  vm.set_outside_wakers([h = hub.get()] { return !h->links_.empty(); });
  hub->install_natives();
  install_socket_natives(vm);
  install_http_natives(vm);
  return hub;
}

Backend* Hub::backend_for(std::string_view name) {
  for (auto& b : backends_)
    if (name.substr(0, 4) == b->prefix()) return b.get();
  return nullptr;
}

void Hub::start() {
  started_ = true;
  stats_.attach(vm_);
  stats_.set_previous(stat_snapshots, restored_snapshot_);
  outbox_->attach();
  vm::Ref list = vm_.root_slot(vm::root_restart_list);
  if (!vm_.is_a(list, vm::cid_array)) vm_.set_root_slot(vm::root_restart_list, list = vm_.new_array());
  std::vector<vm::Ref> entries;
  for (std::uint32_t i = 0; i < vm_.array_size(list); ++i) entries.push_back(vm_.array_get(list, i));
  for (vm::Ref conn : entries) {
    // Sockets made through .internal.tcp and .internal.udp have the connection's layout (socket_natives.cc).
    if (!vm_.is_a(conn, vm::cid_connection) && !vm_.is_a(conn, vm::cid_tcp) && !vm_.is_a(conn, vm::cid_udp)) continue;
    ConnectionView view(vm_, conn);
    if (!view.well_formed() || !view.connected()) continue;
    std::string name = view.name();
    if (int err = connect(conn, name, true); err != 0) {
      std::string why = view.slot(slot_error) != vm::raw_null && vm_.is_a(view.slot(slot_error), vm::cid_string)
                            ? std::string(vm_.string_of(view.slot(slot_error)))
                            : fmt::format("error {}", err);
      vm_.console().write_diagnostic(fmt::format("phantom: connection '{}' was not re-made after the restart: {}\n", name, why));
    }
  }
  // Output that the restored snapshot holds was committed with it: it goes out now (again, for
  // files, idempotently; console text after the cursor only).
  // Up to what the world holds now, not beyond: entries appended later are not this release's.
  outbox_->release(outbox_->capture());
  // The per-second statistics.
  struct Ticker {
    static void arm(Hub* hub) {
      std::int64_t next = static_cast<std::int64_t>(hub->vm_.clock().wall_ns()) + 1'000'000'000;
      hub->loop_->add_timer(next, [hub] {
        hub->stats_.set(stat_thread_switches, hub->vm_.slices_run());
        hub->stats_.tick(hub->vm_.clock().monotonic_ns());
        arm(hub);
      });
    }
  };
  stats_.tick(vm_.clock().monotonic_ns());
  Ticker::arm(this);
}

std::uint64_t Hub::capture() {
  if (!started_) return 0;  // a blank world (run --once): no heap, nothing to capture
  stats_.set(stat_thread_switches, vm_.slices_run());
  stats_.capture(vm_);
  return outbox_->capture();
}

void Hub::committed(std::uint64_t captured) {
  if (!started_) return;
  stats_.add(stat_snapshots);
  std::size_t n = outbox_->release(captured);
  if (n) stats_.add(stat_output_writes, n);
}

void Hub::set_error(ConnectionView conn, std::string_view message) {
  conn.set_slot(slot_error, message.empty() ? vm::raw_null : vm_.new_string(message));
}

int Hub::connect(vm::Ref conn, std::string_view name, bool restart) {
  ConnectionView view(vm_, conn);
  Backend* backend = backend_for(name);
  if (!backend) {
    std::string known;
    for (auto& b : backends_) known += std::string(known.empty() ? "" : ", ") + std::string(b->prefix());
    std::string_view kind = name.substr(0, std::min(name.find(':') + 1, std::min<std::size_t>(name.size(), 16)));
    set_error(view, fmt::format("unknown connection kind '{}': the name must start with one of {}", kind, known));
    return p_ENOMEM;  // as the original answers an unknown prefix
  }
  vm::Ref list = vm_.root_slot(vm::root_restart_list);
  if (!restart) {
    if (view.connected()) disconnect(conn);
    // Allocations first (each may throw OutOfMemory; the call then runs again from the start).
    vm::Ref name_string = vm_.new_string(name);
    view.set_slot(slot_name, name_string);
    vm::Ref state = vm_.new_binary(backend->state_size());
    view.set_slot(slot_state, state);
    bool listed = false;
    for (std::uint32_t i = 0; i < vm_.array_size(list) && !listed; ++i) listed = vm_.array_get(list, i) == conn;
    if (!listed) vm_.array_push(list, conn);
    view.set_slot(slot_owner, vm_.current_thread() == vm::raw_null ? vm_.null_object() : vm_.current_thread());
    if (view.slot(slot_method) == vm::raw_null) view.set_slot(slot_method, vm::tag_int(0));
  }
  Link link;
  link.backend = backend;
  OpenResult opened = backend->open(*this, view, link, name.substr(4), restart);
  if (opened.error != 0) {
    set_error(view, restart ? fmt::format("{}: could not be re-made after the restart: {}", name, opened.message)
                            : fmt::format("{}: {}", name, opened.message));
    view.set_slot(slot_connected, vm::tag_int(0));
    vm_.array_remove(list, conn);
    return opened.error;
  }
  links_[conn] = std::move(link);
  view.set_slot(slot_connected, vm::tag_int(1));
  view.set_slot(slot_error, vm::raw_null);
  return 0;
}

int Hub::disconnect(vm::Ref conn) {
  ConnectionView view(vm_, conn);
  auto it = links_.find(conn);
  if (it != links_.end()) {
    it->second.backend->close(*this, view, it->second);
    links_.erase(it);
  }
  bool was = view.connected();
  view.set_slot(slot_connected, vm::tag_int(0));
  vm_.array_remove(vm_.root_slot(vm::root_restart_list), conn);
  return was ? 0 : p_ENXIO;
}

bool Hub::deliver_callback(vm::Ref conn, vm::Ref payload) {
  ConnectionView view(vm_, conn);
  vm::Ref target = view.slot(slot_callback);
  if (vm_.is_null(target)) return false;
  vm::Ref method = view.slot(slot_method);
  std::int32_t ordinal = vm::is_tagged_int(method) ? vm::untag_int(method) : 0;
  if (ordinal < 0 || !vm_.defines_method(target, static_cast<std::uint32_t>(ordinal))) {
    vm_.console().write_diagnostic(fmt::format("phantom: connection '{}': the callback object has no method {}\n",
                                               view.name(), ordinal));
    return false;
  }
  vm_.start_thread(target, static_cast<std::uint32_t>(ordinal), payload, "callback " + view.name());
  return true;
}

vm::NativeOutcome Hub::park(vm::NativeCall& call) {
  vm_.thread_data(call.thread)->state = vm::ThreadState::wait_connection;
  parked_.push_back(call.thread);
  return vm::NativeOutcome::blocked;
}

void Hub::wake_parked() {
  vm_.post([this] {
    for (vm::Ref t : std::exchange(parked_, {}))
      if (vm_.thread_data(t)->state == vm::ThreadState::wait_connection) vm_.make_runnable(t);
  });
}

}  // namespace phantom::connections
