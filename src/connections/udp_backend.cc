// udp: UDP sockets (connections layer, docs/network.md). "udp:ADDR:PORT" is a socket bound to ADDR:PORT
// (port 0: any free port); it receives datagrams from anyone and sends them to any HOST:PORT the
// `--connect` rules allow. The same backend serves `.internal.udp` objects (socket_natives.cc).
//
// Threads: the event loop reads datagrams into the core's queue (at most queue_limit of them; more
// are dropped, as a full socket buffer drops them); the executor takes them and parks the calling VM
// thread while the queue is empty (socket_link.h). Names of peers are resolved on the resolver thread
// and remembered per socket.
//
// Output commit: a datagram of a committed socket (the default) is sent when the snapshot holding
// the state behind it has committed (Outbox::append_transient); an immediate one at once (so it may
// overtake committed ones still waiting: UDP keeps no order anyway). A close stops receiving at once
// and frees the port at once, unless committed datagrams still wait: then after the last of them.
//
// Restart: the socket is bound again to the same address and port (the port it got, for port 0).
// Datagrams received but not taken, and committed datagrams not yet sent at the crash, are lost: UDP
// promises no delivery, and from the world's view they were never received or sent.
#include <deque>
#include <map>
#include <mutex>

#include "connections/backends.h"
#include "connections/hub.h"
#include "connections/socket_link.h"

namespace phantom::connections {
namespace {

constexpr std::size_t queue_limit = 1024;          // datagrams received, not yet taken
constexpr std::size_t max_datagram = 65507;        // the most a UDP/IPv4 datagram carries
constexpr std::size_t max_names = 64;              // resolved peer names remembered per socket
constexpr std::int64_t name_ttl_ns = 60'000'000'000;  // a resolved name is looked up again after this
constexpr std::int64_t failed_name_ttl_ns = 5'000'000'000;  // a name that did not resolve, after this

struct UdpState {  // in the connection's state binary
  std::uint32_t port;       // the port bound to
  std::uint32_t immediate;  // 1: datagrams go out at once
  char last_sender[48];     // "127.0.0.1:5000" of the last datagram taken; "" before the first
};

struct UdpCore {
  UdpCore(Hub& h, vm::Ref c) : hub(h), loop(h.loop()), conn(c) {}
  Hub& hub;
  host::EventLoop& loop;  // not hub.loop(): see StreamCore::loop (tcp_backend.cc)
  vm::Ref conn;
  std::mutex mutex;
  // ---- guarded by mutex ----
  std::unique_ptr<host::Socket> socket;
  std::string label;  // "udp 127.0.0.1:5000"
  std::string error;  // a failed socket: why
  bool watched = false;
  std::deque<std::pair<std::string, host::NetAddress>> queue;
  std::uint64_t dropped = 0;
  std::size_t committed_waiting = 0;  // committed datagrams not yet released
  bool close_when_sent = false;       // closed by the world: the socket goes with the last of them
  struct Resolved {
    bool ok = false;
    host::NetAddress address;
    std::string error;
    std::int64_t expires_ns = 0;
  };
  std::map<std::string, Resolved, std::less<>> names;  // resolved peers, or why not
  bool want_wake = false;
};
using CorePtr = std::shared_ptr<UdpCore>;

struct UdpLink final : SocketLink {
  CorePtr core;
};

// On the event loop: takes every waiting datagram.
void pump(const CorePtr& core) {
  bool wake;
  {
    std::lock_guard lock(core->mutex);
    if (!core->socket) return;
    static thread_local std::string buffer(max_datagram + 1, '\0');
    bool news = false;
    for (;;) {
      host::NetAddress from;
      host::IoResult r = core->socket->receive_from(buffer, from);
      if (r.kind == host::IoResult::would_block) break;
      if (r.kind != host::IoResult::done) continue;  // an ICMP error for an earlier send, or an oversized datagram
      core->hub.statistics().add(stat_udp_rx, r.bytes);
      if (core->queue.size() >= queue_limit) {
        ++core->dropped;
        continue;
      }
      core->queue.emplace_back(buffer.substr(0, r.bytes), from);
      news = true;
    }
    wake = news && std::exchange(core->want_wake, false);
  }
  if (wake) wake_socket_waiters(core->hub, core->conn);
}

void drop_locked(UdpCore& c) {
  if (c.socket && c.watched) c.loop.unwatch(c.socket->handle());
  c.watched = false;
  c.socket.reset();
}

// Any thread: sends one datagram (a committed one when released).
void send_now(const CorePtr& core, const host::NetAddress& to, const std::string& data, bool committed) {
  std::lock_guard lock(core->mutex);
  if (core->socket) {
    host::IoResult r = core->socket->send_to(to, data);
    if (r.kind == host::IoResult::done) core->hub.statistics().add(stat_udp_tx, r.bytes);
  }
  if (committed && --core->committed_waiting == 0 && core->close_when_sent) drop_locked(*core);
}

Result<host::NetAddress> numeric_address(const std::string& host, std::uint16_t port) {
  return host::NetAddress::parse(host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                                                     : fmt::format("{}:{}", host, port));
}

enum UdpOp { op_receive = 0, op_reply = 1, op_send_to = 2, op_mode = 4, op_last_sender = 6, op_local_port = 7 };

class UdpBackend final : public Backend {
 public:
  UdpBackend() : resolver_(host::start_resolver()) {}
  std::string_view prefix() const override { return "udp:"; }
  std::uint32_t state_size() const override { return sizeof(UdpState); }

  OpenResult open(Hub& hub, ConnectionView conn, Link& link, std::string_view suffix, bool restart) override {
    UdpState* st = conn.state<UdpState>();
    if (!st) return {p_EINVAL, "the connection's state is damaged"};
    std::string host;
    std::uint16_t port = 0;
    if (!host::split_host_port(suffix, host, port))
      return {p_EINVAL, "expected udp:ADDR:PORT (ADDR numeric, [::1] for IPv6; PORT 0 for any)"};
    if (restart && st->port) port = static_cast<std::uint16_t>(st->port);  // bound again where it was
    auto at = numeric_address(host == "localhost" ? "127.0.0.1" : host, port);
    if (!at.ok()) return {p_EINVAL, at.error().message + " (a UDP socket's address must be numeric)"};
    std::string why;
    if (!hub.net_rules().may_listen(*at, why)) return {p_EACCES, why};
    auto made = host::open_datagram(*at);
    if (!made.ok()) return {phantom_errno(made.error().code), made.error().message};
    auto core = std::make_shared<UdpCore>(hub, conn.self());
    std::lock_guard lock(core->mutex);
    core->socket = std::move(made).value();
    host::NetAddress bound = core->socket->local_address();
    core->label = "udp " + bound.to_string();
    std::weak_ptr<UdpCore> weak = core;
    core->watched = core->loop.watch(core->socket->handle(), ev_in | ev_edge, [weak](std::uint32_t) {
      if (auto c = weak.lock()) pump(c);
    });
    if (!core->watched) return {p_EIO, "the event loop refused the socket"};
    st->port = bound.port;
    if (!restart) st->last_sender[0] = '\0';
    auto ul = std::make_unique<UdpLink>();
    ul->core = core;
    link.state = std::move(ul);
    return {};
  }

  void close(Hub& hub, ConnectionView, Link& link) override {
    auto* ul = static_cast<UdpLink*>(link.state.get());
    if (!ul || !ul->core) return;
    wake_all_now(hub, *ul);
    UdpCore& c = *ul->core;
    std::lock_guard lock(c.mutex);
    // Nothing of a close is seen outside, so it needs no commit: receiving stops now, and the port is
    // free now (a bind of the same port may follow), or once the committed datagrams before it left.
    if (c.socket && c.watched) c.loop.unwatch(c.socket->handle());
    c.watched = false;
    c.queue.clear();
    if (c.committed_waiting == 0) drop_locked(c);
    else c.close_when_sent = true;  // the outbox's entries hold the core until then
  }

  vm::NativeOutcome block(Hub& hub, ConnectionView conn, Link& link, vm::NativeCall& call, vm::Ref arg, int op) override {
    vm::Vm& vm = hub.vm();
    auto* ul = static_cast<UdpLink*>(link.state.get());
    UdpState* st = conn.state<UdpState>();
    UdpCore& c = *ul->core;
    auto fail = [&](int err, const std::string& message) {
      hub.set_error(conn, message);
      return call.ret(vm.new_int(-err));
    };
    std::unique_lock lock(c.mutex);
    switch (op) {
      case op_receive: {
        if (c.queue.empty()) {
          c.want_wake = true;
          return park_on_socket(hub, *ul, call);
        }
        std::string data = c.queue.front().first;
        std::string from = c.queue.front().second.to_string();
        lock.unlock();
        vm::Ref out = vm.new_string(data);  // may throw: nothing taken yet
        lock.lock();
        c.queue.pop_front();
        st = conn.state<UdpState>();
        std::snprintf(st->last_sender, sizeof st->last_sender, "%s", from.c_str());
        return call.ret(out);
      }
      case op_reply:
      case op_send_to: {
        std::string host, data;
        std::uint16_t port = 0;
        if (op == op_reply) {
          if (!vm.is_a(arg, vm::cid_string)) return fail(p_EINVAL, c.label + ": send: the argument must be a string");
          if (!st->last_sender[0]) return fail(p_ENOTCONN, c.label + ": send: no datagram received yet to answer (use sendTo)");
          host::split_host_port(st->last_sender, host, port);
          data = std::string(vm.string_of(arg));
        } else {
          bool shaped = vm.is_a(arg, vm::cid_array) && vm.array_size(arg) == 3 && vm.is_a(vm.array_get(arg, 0), vm::cid_string) &&
                        vm.is_int(vm.array_get(arg, 1)) && vm.is_a(vm.array_get(arg, 2), vm::cid_string);
          if (!shaped) return fail(p_EINVAL, c.label + ": sendTo: the argument is an array [host string, port int, data string]");
          host = std::string(vm.string_of(vm.array_get(arg, 0)));
          int p = vm.int_of(vm.array_get(arg, 1));
          if (p < 1 || p > 65535) return fail(p_EINVAL, fmt::format("{}: sendTo: port {} is not 1..65535", c.label, p));
          port = static_cast<std::uint16_t>(p);
          data = std::string(vm.string_of(vm.array_get(arg, 2)));
          if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
        }
        if (data.size() > max_datagram)
          return fail(p_EINVAL, fmt::format("{}: a datagram of {} bytes; at most {}", c.label, data.size(), max_datagram));
        if (!c.socket || c.close_when_sent) return fail(p_ENOTCONN, c.label + ": closed");
        std::string peer = host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
        auto to = numeric_address(host, port);
        std::string why;
        if (to.ok()) {
          if (!hub.net_rules().may_connect(host, port, why)) return fail(p_EACCES, fmt::format("{}: {}", c.label, why));
        } else {
          auto known = c.names.find(host);
          if (known == c.names.end() || known->second.expires_ns < hub.vm().wall_now())
            return resolve_then_wake(hub, *ul, call, host);
          if (!known->second.ok) return fail(p_ENOENT, fmt::format("{}: sendTo {}: {}", c.label, peer, known->second.error));
          host::NetAddress a = known->second.address;
          a.port = port;
          if (!hub.net_rules().may_connect(host, a, why)) return fail(p_EACCES, fmt::format("{}: {}", c.label, why));
          to = a;
        }
        host::NetAddress target = *to;
        lock.unlock();
        vm::Ref count = vm.new_int(static_cast<std::int32_t>(data.size()));
        CorePtr core = ul->core;
        std::size_t size = data.size();
        if (st->immediate) {
          send_now(core, target, data, false);
        } else {
          {
            std::lock_guard relock(core->mutex);
            ++core->committed_waiting;
          }
          hub.outbox().append_transient([core, target, data = std::move(data)] { send_now(core, target, data, true); }, size);
        }
        return call.ret(count);
      }
      case op_mode: {
        if (!vm.is_int(arg) || (vm.int_of(arg) != 0 && vm.int_of(arg) != 1))
          return fail(p_EINVAL, c.label + ": mode: 0 is committed (sent when durable), 1 is immediate");
        std::uint32_t before = st->immediate;
        st->immediate = static_cast<std::uint32_t>(vm.int_of(arg));
        return call.ret(vm.new_int(static_cast<std::int32_t>(before)));
      }
      case op_last_sender: {
        std::string text = st->last_sender;
        lock.unlock();
        return call.ret(vm.new_string(text));
      }
      case op_local_port: return call.ret(vm.new_int(static_cast<std::int32_t>(st->port)));
      default:
        return fail(p_EINVAL, fmt::format("{}: no operation {} (0 receive, 1 send to the last sender, 2 sendTo, 4 mode, "
                                          "6 last sender, 7 local port)", c.label, op));
    }
  }

 private:
  // c.mutex held: resolves `host` on the resolver thread, parks the caller, and wakes it with the answer.
  vm::NativeOutcome resolve_then_wake(Hub& hub, UdpLink& ul, vm::NativeCall& call, const std::string& host) {
    CorePtr core = ul.core;
    if (core->names.size() >= max_names) {  // the expired ones first; all when none has
      std::int64_t now = hub.vm().wall_now();
      std::erase_if(core->names, [now](const auto& entry) { return entry.second.expires_ns < now; });
      if (core->names.size() >= max_names) core->names.clear();
    }
    core->want_wake = true;
    // An address of the socket's own family: an IPv4 socket cannot send to an IPv6 address.
    host::NetAddress::Family family = core->socket ? core->socket->local_address().family : host::NetAddress::ipv4;
    resolver_->resolve(host, 0, [core, host, family](Result<std::vector<host::NetAddress>> found) {
      {
        std::lock_guard lock(core->mutex);
        UdpCore::Resolved r;
        std::int64_t now = core->hub.vm().wall_now();
        if (found.ok()) {
          for (const auto& a : *found)
            if (a.family == family && !r.ok) {
              r.ok = true;
              r.address = a;
            }
          if (!r.ok)
            r.error = fmt::format("{}: has no {} address (the socket is bound to one)", host,
                                  family == host::NetAddress::ipv4 ? "IPv4" : "IPv6");
        } else {
          r.error = found.error().message;
        }
        r.expires_ns = now + (r.ok ? name_ttl_ns : failed_name_ttl_ns);
        core->names.insert_or_assign(host, std::move(r));
        core->want_wake = false;
      }
      wake_socket_waiters(core->hub, core->conn);
    });
    return park_on_socket(hub, ul, call);
  }

  std::unique_ptr<host::Resolver> resolver_;
};

}  // namespace

std::unique_ptr<Backend> make_udp_backend() { return std::make_unique<UdpBackend>(); }

}  // namespace phantom::connections
