// tcp: TCP streams and listeners (connections layer, docs/network.md). "tcp:HOST:PORT" connects to
// HOST (a name, 1.2.3.4 or [::1]); "tcp:listen:ADDR:PORT" listens, and its accept gives new connected
// stream connections. The same backend serves `.internal.tcp` objects (socket_natives.cc).
//
// Threads: every socket operation runs on the Hub's event loop (edge-triggered), on a StreamCore that
// the loop and the executor share under its mutex. The executor only moves bytes in and out of the
// core's buffers and parks the calling VM thread when there is nothing yet (socket_link.h); the loop
// wakes it. Names are resolved on a resolver thread (host/net.h), never on the executor.
//
// Output commit: a send of a committed connection (the default) reaches the core's send buffer only
// when the snapshot holding the state behind it has committed (Outbox::append_transient), and so does
// a close, so that it comes after those bytes. An immediate connection sends at once.
//
// Restart (design.md rule 6): a listener is bound again to the address and port it had; a stream
// comes back closed and each of its operations reports "connection lost by restart". Committed bytes
// not yet released at the crash are lost with their connection: the peer's connection is gone too.
#include <deque>
#include <mutex>

#include "connections/backends.h"
#include "connections/hub.h"
#include "connections/socket_link.h"

namespace phantom::connections {
namespace {

constexpr std::size_t receive_buffer_limit = 1 << 20;  // per stream; beyond it the peer is slowed (TCP flow control)
constexpr std::size_t send_queue_limit = 16 << 20;     // per stream: a send beyond it fails
constexpr std::size_t accept_queue_limit = 64;         // taken from the kernel ahead of accept(); the rest waits there
constexpr int max_streams = 4096;                      // per world, listeners included
constexpr std::size_t read_chunk = 64 << 10;

struct TcpState {  // in the connection's state binary
  std::uint32_t kind;       // kind_stream or kind_listener
  std::uint32_t immediate;  // 1: sends go out at once
  std::uint32_t port;       // a listener: the port it is bound to (a name with port 0 gets one)
  std::uint32_t reserved;
};
enum TcpKind : std::uint32_t { kind_stream = 1, kind_listener = 2 };

struct StreamCore {
  enum Phase { resolving, connecting, open, listening, failed, lost, closed };
  StreamCore(Hub& h, vm::Ref c, std::shared_ptr<std::atomic<int>> count) : hub(h), conn(c), counter(std::move(count)) {
    ++*counter;
  }
  ~StreamCore() { --*counter; }

  Hub& hub;
  vm::Ref conn;  // for wake-ups; the Link is looked up again on the executor
  std::shared_ptr<std::atomic<int>> counter;
  std::mutex mutex;
  // ---- guarded by mutex ----
  Phase phase = resolving;
  std::string label;  // "tcp 127.0.0.1:1883", the start of every message
  std::string error;  // failed, lost: why
  std::unique_ptr<host::Socket> socket;
  bool watched = false;
  std::vector<host::NetAddress> candidates;  // connecting: the addresses still to try
  std::size_t next_candidate = 0;
  host::NetAddress peer;
  std::string in;  // received, not yet taken by the world
  bool eof = false;
  std::string out;  // released for sending, not yet taken by the kernel
  bool close_when_sent = false;
  std::deque<std::unique_ptr<host::Socket>> accepted;  // listening
  bool want_wake = false;
};
using CorePtr = std::shared_ptr<StreamCore>;

struct TcpLink final : SocketLink {
  CorePtr core;
};

// ---- on the event loop ----

void finish_close_locked(StreamCore& c) {
  if (c.socket) {
    if (c.watched) c.hub.loop().unwatch(c.socket->handle());
    if (c.phase == StreamCore::open) c.socket->shutdown_write();
    c.socket.reset();
  }
  c.watched = false;
  c.phase = StreamCore::closed;
}

void fail_locked(StreamCore& c, std::string why) {
  c.error = c.label + ": " + why;
  if (c.socket && c.watched) c.hub.loop().unwatch(c.socket->handle());
  c.socket.reset();
  c.watched = false;
  c.phase = StreamCore::failed;
}

// Returns whether a parked thread should look again.
bool wake_due_locked(StreamCore& c) { return std::exchange(c.want_wake, false); }

void pump(const CorePtr& core, std::uint32_t events);

void watch_locked(const CorePtr& core) {
  std::weak_ptr<StreamCore> weak = core;  // the loop's watcher must not keep a dropped core alive
  core->watched = core->hub.loop().watch(core->socket->handle(), ev_in | ev_out | ev_read_hangup | ev_edge,
                                         [weak](std::uint32_t ev) {
                                           if (auto c = weak.lock()) pump(c, ev);
                                         });
}

// Tries the next address of a connecting core; the loop's writable event then finishes it.
void try_next_locked(const CorePtr& core) {
  StreamCore& c = *core;
  while (c.next_candidate < c.candidates.size()) {
    c.peer = c.candidates[c.next_candidate++];
    auto made = host::connect_stream(c.peer);
    if (!made.ok()) {
      c.error = made.error().message;
      continue;
    }
    c.socket = std::move(made).value();
    c.phase = StreamCore::connecting;
    watch_locked(core);
    if (!c.watched) fail_locked(c, "the event loop refused the socket");
    return;
  }
  fail_locked(c, c.error.empty() ? "no address to connect to" : c.error);
}

void pump(const CorePtr& core, std::uint32_t events) {
  StreamCore& c = *core;
  bool news = false;  // something a parked thread may be waiting for
  bool wake = false;
  {
    std::lock_guard lock(c.mutex);
    if (c.phase == StreamCore::connecting && (events & (ev_out | ev_error | ev_hangup))) {
      Status made = c.socket->finish_connect();
      if (!made.ok()) {
        c.error = made.error().message;
        c.hub.loop().unwatch(c.socket->handle());
        c.socket.reset();
        c.watched = false;
        try_next_locked(core);
        news = c.phase == StreamCore::failed;
      } else {
        c.phase = StreamCore::open;
        news = true;
      }
    }
    if (c.phase == StreamCore::listening) {
      while (c.accepted.size() < accept_queue_limit) {
        auto next = c.socket->accept();
        if (!next.ok() || !*next) {
          if (!next.ok()) (void)next.error();  // EMFILE and the like: the connection waits in the kernel
          break;
        }
        c.accepted.push_back(std::move(next).value());
      }
      news = news || !c.accepted.empty();
    }
    if (c.phase == StreamCore::open) {
      char buffer[read_chunk];
      while (!c.eof && c.in.size() < receive_buffer_limit) {
        host::IoResult r = c.socket->read(buffer);
        if (r.kind == host::IoResult::done) {
          c.in.append(buffer, r.bytes);
          c.hub.statistics().add(stat_tcp_rx, r.bytes);
          news = true;
        } else if (r.kind == host::IoResult::closed) {
          c.eof = true;
          news = true;
        } else if (r.kind == host::IoResult::failed) {
          fail_locked(c, r.error);
          news = true;
          break;
        } else {
          break;
        }
      }
      while (c.phase == StreamCore::open && !c.out.empty()) {
        host::IoResult r = c.socket->write(c.out);
        if (r.kind == host::IoResult::done) {
          c.out.erase(0, r.bytes);
          c.hub.statistics().add(stat_tcp_tx, r.bytes);
        } else if (r.kind == host::IoResult::failed) {
          fail_locked(c, r.error);
          news = true;
        } else {
          break;
        }
      }
      if (c.phase == StreamCore::open && c.close_when_sent && c.out.empty()) finish_close_locked(c);
    } else if (c.close_when_sent && c.phase != StreamCore::connecting && c.phase != StreamCore::resolving) {
      finish_close_locked(c);
    }
    wake = news && wake_due_locked(c);
  }
  if (wake) wake_socket_waiters(c.hub, c.conn);
}

void post_pump(const CorePtr& core) {
  core->hub.loop().post([core] { pump(core, 0); });
}

// Any thread: what a committed send or close does once released (and an immediate one at once).
void queue_bytes(const CorePtr& core, std::string bytes) {
  {
    std::lock_guard lock(core->mutex);
    core->out += bytes;
  }
  post_pump(core);
}
void queue_close(const CorePtr& core) {
  {
    std::lock_guard lock(core->mutex);
    core->close_when_sent = true;
    core->want_wake = false;
  }
  post_pump(core);
}

// "HOST:PORT" with HOST a name, an IPv4 address or [IPv6]; false when malformed.
bool split_host_port(std::string_view text, std::string& host, std::uint16_t& port) {
  std::size_t colon;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return false;
    host = std::string(text.substr(1, close - 1));
    colon = close + 1;
  } else {
    colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    host = std::string(text.substr(0, colon));
    if (host.find(':') != std::string::npos) return false;  // IPv6 needs brackets
  }
  std::string_view p = text.substr(colon + 1);
  if (p.empty() || p.size() > 5) return false;
  unsigned value = 0;
  for (char ch : p) {
    if (ch < '0' || ch > '9') return false;
    value = value * 10 + static_cast<unsigned>(ch - '0');
  }
  if (value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return !host.empty();
}

std::string shown(const std::string& host, std::uint16_t port) {
  return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port) : fmt::format("{}:{}", host, port);
}

// HOST as a numeric address, or an error when it is a name.
Result<host::NetAddress> numeric_address(const std::string& host, std::uint16_t port) {
  return host::NetAddress::parse(host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                                                     : fmt::format("{}:{}", host, port));
}
// A listener's address: numeric, or "localhost" (never looked up: it must be an address of ours).
Result<host::NetAddress> listen_address(const std::string& host, std::uint16_t port) {
  return numeric_address(host == "localhost" ? "127.0.0.1" : host, port);
}

enum TcpOp {
  op_receive = 0, op_send = 1, op_wait_connected = 2, op_accept = 3, op_mode = 4, op_peer = 6, op_local_port = 7,
  op_is_open = 8,
};

class TcpBackend final : public Backend {
 public:
  TcpBackend() : resolver_(host::start_resolver()) {}
  std::string_view prefix() const override { return "tcp:"; }
  std::uint32_t state_size() const override { return sizeof(TcpState); }

  OpenResult open(Hub& hub, ConnectionView conn, Link& link, std::string_view suffix, bool restart) override {
    TcpState* st = conn.state<TcpState>();
    if (!st) return {p_EINVAL, "the connection's state is damaged"};
    auto tl = std::make_unique<TcpLink>();
    if (adopt_) {  // accept(): the socket is already connected
      tl->core = std::exchange(adopt_, nullptr);
      st->kind = kind_stream;
      st->immediate = adopt_immediate_;
      link.state = std::move(tl);
      return {};
    }
    bool listener = suffix.substr(0, 7) == "listen:";
    std::string host;
    std::uint16_t port = 0;
    if (!split_host_port(listener ? suffix.substr(7) : suffix, host, port))
      return {p_EINVAL, listener ? "expected tcp:listen:ADDR:PORT (ADDR numeric, [::1] for IPv6; PORT 0 for any)"
                                 : "expected tcp:HOST:PORT (HOST a name, 1.2.3.4 or [::1])"};
    if (*streams_ >= max_streams)
      return {p_ENOSPC, fmt::format("too many TCP connections ({} open, at most {}); close some", streams_->load(), max_streams)};
    auto core = std::make_shared<StreamCore>(hub, conn.self(), streams_);
    tl->core = core;
    if (listener) {
      if (restart && st->port) port = static_cast<std::uint16_t>(st->port);  // bound again where it was
      core->label = "tcp listen " + shown(host, port);
      auto at = listen_address(host, port);
      if (!at.ok()) return {p_EINVAL, at.error().message + " (a listening address must be numeric)"};
      std::string why;
      if (!hub.net_rules().may_listen(*at, why)) return {p_EACCES, why};
      auto made = host::listen_stream(*at);
      if (!made.ok()) return {phantom_errno(made.error().code), made.error().message};
      std::lock_guard lock(core->mutex);
      core->socket = std::move(made).value();
      core->peer = core->socket->local_address();
      core->phase = StreamCore::listening;
      core->label = "tcp listen " + core->peer.to_string();
      watch_locked(core);
      if (!core->watched) return {p_EIO, "the event loop refused the socket"};
      st->kind = kind_listener;
      st->port = core->peer.port;
      link.state = std::move(tl);
      return {};
    }
    core->label = "tcp " + shown(host, port);
    st->kind = kind_stream;
    if (restart) {  // rule 6: an established stream does not come back
      core->phase = StreamCore::lost;
      core->error = core->label + ": connection lost by restart";
      link.state = std::move(tl);
      return {};
    }
    std::string why;
    auto numeric = numeric_address(host, port);
    if (numeric.ok()) {
      if (!hub.net_rules().may_connect(host, port, why)) return {p_EACCES, why};
      std::lock_guard lock(core->mutex);
      core->candidates = {*numeric};
      try_next_locked(core);
    } else {
      const NetRules* rules = &hub.net_rules();
      resolver_->resolve(host, port, [core, host, rules](Result<std::vector<host::NetAddress>> found) {
        bool wake;
        {
          std::lock_guard lock(core->mutex);
          if (core->phase != StreamCore::resolving) return;  // closed meanwhile
          if (!found.ok()) {
            fail_locked(*core, found.error().message);
          } else {
            std::string refused;
            for (const auto& a : *found)
              if (rules->may_connect(host, a, refused)) core->candidates.push_back(a);
            if (core->candidates.empty()) fail_locked(*core, refused);
            else core->hub.loop().post([core] {
              std::lock_guard inner(core->mutex);
              if (core->phase == StreamCore::resolving) try_next_locked(core);
              if (core->phase == StreamCore::failed && wake_due_locked(*core)) wake_socket_waiters(core->hub, core->conn);
            });
          }
          wake = core->phase == StreamCore::failed && wake_due_locked(*core);
        }
        if (wake) wake_socket_waiters(core->hub, core->conn);
      });
    }
    link.state = std::move(tl);
    return {};
  }

  void close(Hub& hub, ConnectionView conn, Link& link) override {
    auto* tl = static_cast<TcpLink*>(link.state.get());
    if (!tl || !tl->core) return;
    wake_all_now(hub, *tl);
    TcpState* st = conn.state<TcpState>();
    CorePtr core = tl->core;
    {
      std::lock_guard lock(core->mutex);
      if (core->phase == StreamCore::resolving || core->phase == StreamCore::lost) {
        core->phase = StreamCore::closed;
        return;
      }
    }
    // A committed stream closes after the bytes it sent before, when they are released.
    if (st && st->kind == kind_stream && !st->immediate) {
      try {
        hub.outbox().append_transient([core] { queue_close(core); });
        return;
      } catch (const vm::OutOfMemory&) {
        // No room to order the close: close once what is released now has gone out.
      }
    }
    queue_close(core);
  }

  vm::NativeOutcome block(Hub& hub, ConnectionView conn, Link& link, vm::NativeCall& call, vm::Ref arg, int op) override {
    vm::Vm& vm = hub.vm();
    auto* tl = static_cast<TcpLink*>(link.state.get());
    TcpState* st = conn.state<TcpState>();
    StreamCore& c = *tl->core;
    auto fail = [&](int err, const std::string& message) {
      hub.set_error(conn, message);
      return call.ret(vm.new_int(-err));
    };
    std::unique_lock lock(c.mutex);
    if (op == op_is_open)  // never an error: 1 while sends and receives can still work
      return call.ret(vm.new_int(c.phase == StreamCore::failed || c.phase == StreamCore::lost || c.phase == StreamCore::closed ? 0 : 1));
    if (c.phase == StreamCore::lost || c.phase == StreamCore::closed)
      return fail(p_ENOTCONN, c.phase == StreamCore::lost ? c.error : c.label + ": closed");
    bool is_listener = st->kind == kind_listener;
    switch (op) {
      case op_wait_connected:
        if (c.phase == StreamCore::failed) return fail(p_EIO, c.error);
        if (c.phase == StreamCore::resolving || c.phase == StreamCore::connecting) return park(hub, *tl, call, c);
        return call.ret(vm.new_int(0));
      case op_receive: {
        if (is_listener) return fail(p_EINVAL, c.label + ": receive on a listening socket (use accept)");
        if (!vm.is_int(arg) || vm.int_of(arg) < 1) return fail(p_EINVAL, c.label + ": receive: the argument is the most bytes to take, an int >= 1");
        if (!c.in.empty()) {
          std::size_t n = std::min<std::size_t>(c.in.size(), static_cast<std::size_t>(vm.int_of(arg)));
          std::string taken = c.in.substr(0, n);
          bool was_full = c.in.size() >= receive_buffer_limit;
          lock.unlock();
          vm::Ref out = vm.new_string(taken);  // may throw: nothing taken yet, the call runs again
          lock.lock();
          c.in.erase(0, n);
          if (was_full && c.in.size() < receive_buffer_limit) post_pump(tl->core);
          return call.ret(out);
        }
        if (c.phase == StreamCore::failed) return fail(p_EIO, c.error);
        if (c.eof) return call.ret(vm.new_string(""));
        return park(hub, *tl, call, c);
      }
      case op_send: {
        if (is_listener) return fail(p_EINVAL, c.label + ": send on a listening socket");
        if (!vm.is_a(arg, vm::cid_string)) return fail(p_EINVAL, c.label + ": send: the argument must be a string");
        if (c.phase == StreamCore::failed) return fail(p_EIO, c.error);
        std::string data(vm.string_of(arg));
        if (c.out.size() + data.size() > send_queue_limit)
          return fail(p_ENOSPC, fmt::format("{}: send queue full ({} bytes waiting; the peer does not read)", c.label, c.out.size()));
        lock.unlock();
        vm::Ref count = vm.new_int(static_cast<std::int32_t>(data.size()));
        CorePtr core = tl->core;
        std::size_t size = data.size();
        if (st->immediate) queue_bytes(core, std::move(data));
        else hub.outbox().append_transient([core, data = std::move(data)]() mutable { queue_bytes(core, std::move(data)); }, size);
        return call.ret(count);
      }
      case op_accept: {
        if (!is_listener) return fail(p_EINVAL, c.label + ": accept on a stream (listen with tcp:listen:ADDR:PORT)");
        if (c.accepted.empty()) return park(hub, *tl, call, c);
        if (*streams_ >= max_streams)
          return fail(p_ENOSPC, fmt::format("{}: too many TCP connections ({} open, at most {}); close some", c.label,
                                            streams_->load(), max_streams));
        std::unique_ptr<host::Socket> socket = std::move(c.accepted.front());
        c.accepted.pop_front();
        if (c.accepted.size() + 1 == accept_queue_limit) post_pump(tl->core);
        lock.unlock();
        return adopt(hub, conn, call, std::move(socket), st->immediate);
      }
      case op_mode: {
        if (!vm.is_int(arg) || (vm.int_of(arg) != 0 && vm.int_of(arg) != 1))
          return fail(p_EINVAL, c.label + ": mode: 0 is committed (sent when durable), 1 is immediate");
        std::uint32_t before = st->immediate;
        st->immediate = static_cast<std::uint32_t>(vm.int_of(arg));
        return call.ret(vm.new_int(static_cast<std::int32_t>(before)));
      }
      case op_peer: {
        std::string text = c.phase == StreamCore::open ? c.peer.to_string() : c.label.substr(c.label.rfind(' ') + 1);
        lock.unlock();
        return call.ret(vm.new_string(text));
      }
      case op_local_port: {
        int port = c.socket ? c.socket->local_address().port : 0;
        return call.ret(vm.new_int(port));
      }
      default:
        return fail(p_EINVAL, fmt::format("{}: no operation {} (0 receive, 1 send, 2 wait connected, 3 accept, 4 mode, "
                                          "6 peer, 7 local port, 8 is open)", c.label, op));
    }
  }

 private:
  // Parks the caller (c.mutex held) until the loop has news for this connection.
  vm::NativeOutcome park(Hub& hub, TcpLink& tl, vm::NativeCall& call, StreamCore& c) {
    c.want_wake = true;
    return park_on_socket(hub, tl, call);
  }

  // accept(): a new connection object of the listener's class, connected to `socket`.
  vm::NativeOutcome adopt(Hub& hub, ConnectionView listener, vm::NativeCall& call, std::unique_ptr<host::Socket> socket,
                          std::uint32_t immediate) {
    vm::Vm& vm = hub.vm();
    auto core = std::make_shared<StreamCore>(hub, vm::raw_null, streams_);
    host::NetAddress peer = socket->peer_address();
    try {
      vm::Ref conn = vm.new_instance(vm.class_of(listener.self()));
      core->conn = conn;
      core->peer = peer;
      core->label = "tcp " + peer.to_string();
      core->phase = StreamCore::open;
      core->socket = std::move(socket);
      adopt_ = core;
      adopt_immediate_ = immediate;
      int err = hub.connect(conn, "tcp:" + peer.to_string(), false);
      adopt_.reset();
      if (err) {
        hub.set_error(listener, fmt::format("tcp listen: accept: {}", vm.string_of(ConnectionView(vm, conn).slot(slot_error))));
        return call.ret(vm.new_int(-err));
      }
      std::lock_guard lock(core->mutex);
      watch_locked(core);
      post_pump(core);  // bytes that came before the watch
      return call.ret(conn);
    } catch (const vm::OutOfMemory&) {
      adopt_.reset();
      // The socket goes back to the head of the queue; the call runs again after a collection.
      Link* l = hub.link(listener.self());
      auto& lc = *static_cast<TcpLink*>(l->state.get())->core;
      std::lock_guard lock(lc.mutex);
      if (core->socket) lc.accepted.push_front(std::move(core->socket));
      throw;
    }
  }

  std::unique_ptr<host::Resolver> resolver_;
  std::shared_ptr<std::atomic<int>> streams_ = std::make_shared<std::atomic<int>>(0);
  CorePtr adopt_;
  std::uint32_t adopt_immediate_ = 0;
};

}  // namespace

std::unique_ptr<Backend> make_tcp_backend() { return std::make_unique<TcpBackend>(); }

}  // namespace phantom::connections
