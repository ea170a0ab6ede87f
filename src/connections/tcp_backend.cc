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
// a close, so that it comes after those bytes. An immediate connection sends at once, except that
// bytes never overtake bytes sent before them on the same stream: an immediate send (or close) that
// follows committed sends still waiting for their commit waits behind them (StreamCore::held).
//
// Closing: a stream closes once every byte sent before the close has gone to the kernel; then it is
// shut down for writing and read (discarding) until the peer closes too, at most linger_ns, so that
// input the world never took does not turn the close into a reset that could destroy the last bytes
// at the peer. Until then the core is kept by the backend's Registry, not by the Link (gone at once).
//
// Restart (design.md rule 6): a listener is bound again to the address and port it had; a stream
// comes back closed and each of its operations reports "connection lost by restart". Committed bytes
// not yet released at the crash are lost with their connection: the peer's connection is gone too.
#include <deque>
#include <mutex>
#include <unordered_map>

#include "connections/backends.h"
#include "connections/hub.h"
#include "connections/socket_link.h"

namespace phantom::connections {
namespace {

constexpr std::size_t receive_buffer_limit = 1 << 20;  // per stream; beyond it the peer is slowed (TCP flow control)
constexpr std::size_t send_queue_limit = 16 << 20;     // per stream, committed and not yet sent: a send beyond it fails
constexpr std::size_t accept_queue_limit = 64;         // taken from the kernel ahead of accept(); the rest waits there
constexpr int max_streams = 4096;                      // per world, listeners included
constexpr std::size_t read_chunk = 64 << 10;
constexpr std::int64_t linger_ns = 2'000'000'000;      // a closed stream waits this long for its peer's close
constexpr std::int64_t drain_ns = 60'000'000'000;      // and this long for a peer that does not read its last bytes
constexpr std::int64_t accept_retry_ns = 100'000'000;  // out of descriptors: accept again after this

struct TcpState {  // in the connection's state binary
  std::uint32_t kind;       // kind_stream or kind_listener
  std::uint32_t immediate;  // 1: sends go out at once
  std::uint32_t port;       // a listener: the port it is bound to (a name with port 0 gets one)
  std::uint32_t connecting; // 1 from a connect until op 2 has answered it (a woken connect only waits)
};
enum TcpKind : std::uint32_t { kind_stream = 1, kind_listener = 2 };

struct StreamCore;
using CorePtr = std::shared_ptr<StreamCore>;

// What every core of one backend shares: the count of streams (for max_streams) and the streams that
// the world has closed and that are still sending their last bytes or lingering.
struct Registry {
  std::atomic<int> count{0};
  std::mutex mutex;
  std::unordered_map<StreamCore*, CorePtr> closing;
};

struct StreamCore {
  enum Phase { resolving, connecting, open, listening, failed, lost, closed };
  StreamCore(Hub& h, vm::Ref c, std::shared_ptr<Registry> r) : hub(h), loop(h.loop()), conn(c), registry(std::move(r)) {
    ++registry->count;
  }
  ~StreamCore() { --registry->count; }

  Hub& hub;
  // The loop itself, not hub.loop(): the Hub's pointer to it is null while it is being destroyed,
  // and a callback still running then must reach it.
  host::EventLoop& loop;
  vm::Ref conn;  // for wake-ups; the Link is looked up again on the executor
  std::shared_ptr<Registry> registry;
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
  std::string in;  // received; in[in_head..] not yet taken by the world
  std::size_t in_head = 0;
  bool eof = false;
  std::string out;  // released for sending, not yet taken by the kernel
  // Sends (and a close) in the order the world made them, from the first one still waiting for its
  // commit on: each leaves for `out` once it and everything before it may.
  struct Held {
    std::uint64_t seq;
    std::string bytes;
    bool ready;  // released (or immediate)
    bool close;  // the close, last
  };
  std::deque<Held> held;
  std::size_t held_bytes = 0;
  std::uint64_t next_seq = 0;
  bool close_when_sent = false;  // the close is due: close once `out` is empty
  bool lingering = false;        // shut down for writing; reading until the peer closes
  bool drain_armed = false;      // the timer that ends a close whose bytes a peer never takes
  bool accept_retry = false;     // a listener out of descriptors: a timer accepts again
  std::deque<std::unique_ptr<host::Socket>> accepted;  // listening
  bool want_wake = false;

  std::size_t unread() const { return in.size() - in_head; }
};

struct TcpLink final : SocketLink {
  CorePtr core;
};

// ---- on the event loop ----

void finish_close_locked(StreamCore& c) {
  if (c.socket) {
    if (c.watched) c.loop.unwatch(c.socket->handle());
    if (c.phase == StreamCore::open && !c.lingering) c.socket->shutdown_write();
    c.socket.reset();
  }
  c.accepted.clear();
  c.watched = false;
  c.phase = StreamCore::closed;
  std::lock_guard lock(c.registry->mutex);
  c.registry->closing.erase(&c);  // the caller holds its own reference
}

void fail_locked(StreamCore& c, std::string why) {
  c.error = c.label + ": " + why;
  if (c.socket && c.watched) c.loop.unwatch(c.socket->handle());
  c.socket.reset();
  c.watched = false;
  c.phase = StreamCore::failed;
}

void pump(const CorePtr& core, std::uint32_t events);

// Returns whether a parked thread should look again.
bool wake_due_locked(StreamCore& c) { return std::exchange(c.want_wake, false); }

void watch_locked(const CorePtr& core) {
  std::weak_ptr<StreamCore> weak = core;  // the loop's watcher must not keep a dropped core alive
  core->watched = core->loop.watch(core->socket->handle(), ev_in | ev_out | ev_read_hangup | ev_edge,
                                   [weak](std::uint32_t ev) {
                                     if (auto c = weak.lock()) pump(c, ev);
                                   });
}

// Closes the core at wall time `at` on the loop, if its close is due and it is not closed by then.
void close_at(const CorePtr& core, std::int64_t at) {
  std::weak_ptr<StreamCore> weak = core;
  core->loop.add_timer(at, [weak] {
    if (auto c = weak.lock()) {
      std::lock_guard lock(c->mutex);
      if (c->close_when_sent && c->phase != StreamCore::closed) finish_close_locked(*c);
    }
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

// The close is due and every byte has gone to the kernel: shut down for writing, then read until the
// peer closes (linger_locked), at most linger_ns.
void start_linger_locked(const CorePtr& core) {
  StreamCore& c = *core;
  c.socket->shutdown_write();
  c.lingering = true;
  close_at(core, c.hub.vm().wall_now() + linger_ns);
}

// A lingering stream: reads and drops what the peer still sends; closes at its end or on an error.
void linger_locked(StreamCore& c) {
  char buffer[read_chunk];
  for (;;) {
    host::IoResult r = c.socket->read(buffer);
    if (r.kind == host::IoResult::would_block) return;
    if (r.kind != host::IoResult::done) break;
    c.hub.statistics().add(stat_tcp_rx, r.bytes);
  }
  finish_close_locked(c);
}

void pump(const CorePtr& core, std::uint32_t events) {
  StreamCore& c = *core;
  bool news = false;  // something a parked thread may be waiting for
  bool wake = false;
  {
    std::lock_guard lock(c.mutex);
    if (c.phase == StreamCore::connecting && (events & (ev_out | ev_error | ev_hangup))) {
      Result<bool> made = c.socket->finish_connect();
      if (!made.ok()) {
        c.error = made.error().message;
        c.loop.unwatch(c.socket->handle());
        c.socket.reset();
        c.watched = false;
        try_next_locked(core);
        news = c.phase == StreamCore::failed;
      } else if (*made) {
        c.phase = StreamCore::open;
        news = true;
      }
    }
    if (c.phase == StreamCore::listening) {
      while (c.accepted.size() < accept_queue_limit) {
        auto next = c.socket->accept();
        if (!next.ok()) {  // out of descriptors: the connections wait in the kernel; try again soon
          if (!c.accept_retry) {
            c.accept_retry = true;
            std::weak_ptr<StreamCore> weak = core;
            c.loop.add_timer(c.hub.vm().wall_now() + accept_retry_ns, [weak] {
              if (auto held = weak.lock()) {
                {
                  std::lock_guard relock(held->mutex);
                  held->accept_retry = false;
                }
                pump(held, 0);
              }
            });
          }
          break;
        }
        if (!*next) break;
        c.accepted.push_back(std::move(next).value());
      }
      news = news || !c.accepted.empty();
    }
    if (c.close_when_sent && !c.drain_armed) {  // a peer that never reads cannot keep it forever
      c.drain_armed = true;
      close_at(core, c.hub.vm().wall_now() + drain_ns);
    }
    if (c.phase == StreamCore::open && c.lingering) {
      linger_locked(c);
    } else if (c.phase == StreamCore::open) {
      char buffer[read_chunk];
      // Once the world has closed the stream nobody takes input: it is read and dropped, so that a
      // peer that writes before it reads cannot stall the last bytes.
      while (!c.eof && (c.close_when_sent || c.unread() < receive_buffer_limit)) {
        host::IoResult r = c.socket->read(buffer);
        if (r.kind == host::IoResult::done) {
          c.hub.statistics().add(stat_tcp_rx, r.bytes);
          if (!c.close_when_sent) c.in.append(buffer, r.bytes);
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
      if (c.phase == StreamCore::open && c.close_when_sent && c.out.empty()) {
        start_linger_locked(core);
        if (c.eof) finish_close_locked(c);  // the peer has closed already: nothing to wait for
      }
    }
    if (c.phase != StreamCore::open && c.close_when_sent && c.phase != StreamCore::connecting &&
        c.phase != StreamCore::resolving && c.phase != StreamCore::closed) {
      finish_close_locked(c);
    }
    wake = news && wake_due_locked(c);
  }
  if (wake) wake_socket_waiters(c.hub, c.conn);
}

void post_pump(const CorePtr& core) {
  core->loop.post([core] { pump(core, 0); });
}

// Moves the held sends that may leave now (a released prefix) to `out`; a close among them is due.
void flush_held_locked(StreamCore& c) {
  while (!c.held.empty() && c.held.front().ready) {
    StreamCore::Held& h = c.held.front();
    c.held_bytes -= h.bytes.size();
    if (h.close) c.close_when_sent = true;
    else if (!c.close_when_sent) c.out += h.bytes;
    c.held.pop_front();
  }
}

// Executor: queues a send or the close. Committed ones wait for their release (Outbox); an immediate
// one leaves now unless committed ones before it still wait.
void hold(Hub& hub, const CorePtr& core, std::string bytes, bool committed, bool close) {
  std::size_t size = bytes.size();
  std::uint64_t seq;
  {
    std::lock_guard lock(core->mutex);
    seq = core->next_seq++;
    core->held_bytes += size;
    core->held.push_back({seq, std::move(bytes), !committed, close});
    if (!committed) flush_held_locked(*core);
  }
  if (!committed) {
    post_pump(core);
    return;
  }
  // Any thread (the snapshot policy's, after the commit): this one may leave now.
  hub.outbox().append_transient(
      [core, seq] {
        {
          std::lock_guard lock(core->mutex);
          for (auto& h : core->held)
            if (h.seq == seq) {
              h.ready = true;
              break;
            }
          flush_held_locked(*core);
        }
        post_pump(core);
      },
      size);
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
  op_is_open = 8, op_connecting = 9,
};

class TcpBackend final : public Backend {
 public:
  TcpBackend() : resolver_(host::start_resolver()) {}
  ~TcpBackend() override {
    // Closing streams hold the registry and it holds them: let them go (their sockets close now).
    std::unordered_map<StreamCore*, CorePtr> closing;
    {
      std::lock_guard lock(registry_->mutex);
      closing.swap(registry_->closing);
    }
  }
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
      st->connecting = 0;
      link.state = std::move(tl);
      return {};
    }
    bool listener = suffix.substr(0, 7) == "listen:";
    std::string host;
    std::uint16_t port = 0;
    if (!host::split_host_port(listener ? suffix.substr(7) : suffix, host, port))
      return {p_EINVAL, listener ? "expected tcp:listen:ADDR:PORT (ADDR numeric, [::1] for IPv6; PORT 0 for any)"
                                 : "expected tcp:HOST:PORT (HOST a name, 1.2.3.4 or [::1])"};
    if (registry_->count >= max_streams)
      return {p_ENOSPC, fmt::format("too many TCP connections ({} open, at most {}); close some", registry_->count.load(), max_streams)};
    auto core = std::make_shared<StreamCore>(hub, conn.self(), registry_);
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
      st->connecting = 0;
      link.state = std::move(tl);
      return {};
    }
    core->label = "tcp " + shown(host, port);
    st->kind = kind_stream;
    if (restart) {  // st->connecting stays: a connect that waited at the snapshot runs again and reports it  // rule 6: an established stream does not come back
      core->phase = StreamCore::lost;
      core->error = core->label + ": connection lost by restart";
      link.state = std::move(tl);
      return {};
    }
    st->connecting = 1;
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
            else core->loop.post([core] {
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
      if (core->phase == StreamCore::resolving || core->phase == StreamCore::lost || core->phase == StreamCore::closed) {
        core->phase = StreamCore::closed;
        return;
      }
      if (core->phase == StreamCore::listening || (st && st->kind == kind_listener)) {
        // At once, here: a listen on the same port right after must find it free.
        core->close_when_sent = true;
        finish_close_locked(*core);
        return;
      }
      std::lock_guard reg(registry_->mutex);
      registry_->closing.emplace(core.get(), core);  // until its last bytes are out (finish_close_locked)
    }
    // After the bytes sent before it; a committed stream's close waits for its commit (its FIN says
    // the stream is complete).
    hold(hub, core, {}, st && !st->immediate, true);
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
    if (op == op_connecting) return call.ret(vm.new_int(static_cast<std::int32_t>(st->connecting)));
    if (c.phase == StreamCore::lost || c.phase == StreamCore::closed) {
      if (op == op_wait_connected) st->connecting = 0;
      return fail(p_ENOTCONN, c.phase == StreamCore::lost ? c.error : c.label + ": closed");
    }
    bool is_listener = st->kind == kind_listener;
    switch (op) {
      case op_wait_connected:
        if (c.phase == StreamCore::resolving || c.phase == StreamCore::connecting) return park(hub, *tl, call, c);
        st->connecting = 0;
        if (c.phase == StreamCore::failed) return fail(p_EIO, c.error);
        return call.ret(vm.new_int(0));
      case op_receive: {
        if (is_listener) return fail(p_EINVAL, c.label + ": receive on a listening socket (use accept)");
        if (!vm.is_int(arg) || vm.int_of(arg) < 1) return fail(p_EINVAL, c.label + ": receive: the argument is the most bytes to take, an int >= 1");
        if (c.unread() > 0) {
          std::size_t n = std::min<std::size_t>(c.unread(), static_cast<std::size_t>(vm.int_of(arg)));
          std::string taken = c.in.substr(c.in_head, n);
          lock.unlock();
          vm::Ref out = vm.new_string(taken);  // may throw: nothing taken yet, the call runs again
          lock.lock();
          // The loop only appends meanwhile: the bytes taken are still at in_head.
          bool was_full = c.unread() >= receive_buffer_limit;
          c.in_head += n;
          if (c.in_head == c.in.size()) {
            c.in.clear();
            c.in_head = 0;
          } else if (c.in_head >= read_chunk && c.in_head * 2 >= c.in.size()) {  // small takes stay linear
            c.in.erase(0, c.in_head);
            c.in_head = 0;
          }
          if (was_full && c.unread() < receive_buffer_limit) post_pump(tl->core);  // reading had stopped
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
        std::size_t waiting = c.out.size() + c.held_bytes;
        if (waiting + data.size() > send_queue_limit)
          return fail(p_ENOSPC, fmt::format("{}: send queue full ({} bytes waiting, at most {}; the peer does not read)",
                                            c.label, waiting, send_queue_limit));
        lock.unlock();
        vm::Ref count = vm.new_int(static_cast<std::int32_t>(data.size()));
        hold(hub, tl->core, std::move(data), !st->immediate, false);
        return call.ret(count);
      }
      case op_accept: {
        if (!is_listener) return fail(p_EINVAL, c.label + ": accept on a stream (listen with tcp:listen:ADDR:PORT)");
        if (c.accepted.empty()) return park(hub, *tl, call, c);
        if (registry_->count >= max_streams)
          return fail(p_ENOSPC, fmt::format("{}: too many TCP connections ({} open, at most {}); close some", c.label,
                                            registry_->count.load(), max_streams));
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
                                          "6 peer, 7 local port, 8 is open, 9 connecting)", c.label, op));
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
    auto core = std::make_shared<StreamCore>(hub, vm::raw_null, registry_);
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
      if (!core->socket) core->socket = std::move(socket);  // new_instance threw before it was moved
      if (core->socket && lc.phase == StreamCore::listening) lc.accepted.push_front(std::move(core->socket));
      throw;
    }
  }

  std::unique_ptr<host::Resolver> resolver_;
  std::shared_ptr<Registry> registry_ = std::make_shared<Registry>();
  CorePtr adopt_;
  std::uint32_t adopt_immediate_ = 0;
};

}  // namespace

std::unique_ptr<Backend> make_tcp_backend() { return std::make_unique<TcpBackend>(); }

}  // namespace phantom::connections
