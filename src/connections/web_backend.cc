// web: an HTTP/1.1 server whose requests the host reads and parses and the world answers
// (connections layer, docs/network.md "HTTP server"). "web:ADDR:PORT" listens on ADDR (numeric, or
// localhost) and PORT (0: any free port; block(null, 3) tells which).
//
//   block(null, 0)  next request: parks until one is complete, then returns it (see below)
//   block([id, status, headers, body], 1)  answers request `id`: status an int, headers an array of
//                   strings (name, value, name, value...) or null, body a string or null; 0, or -57
//                   (ENOTCONN) when the request's connection is gone (closed by its client, or lost
//                   by a restart), -22 (EINVAL) for a malformed answer
//   block(mode, 2)  0 committed (the default: an answer leaves once the snapshot holding the state
//                   behind it has committed), 1 immediate; returns the previous mode
//   block(null, 3)  the port the server is bound to
//
// A request is an array of six: [id (int), method, path, query, headers (.internal.directory of
// lower-case names to values; repeated fields joined with ", "), body (string)]. The path is still
// percent-encoded; the query is the raw text after '?'.
//
// Threads: the listener and every client connection are watched on the Hub's event loop
// (edge-triggered); the loop reads, parses (http_request_parser.h) and queues complete requests in a
// ServerCore shared with the executor under a lock of their own, and writes answers. The executor
// only takes requests out and hands answers in. A slow client costs only its own buffers: nothing blocks.
// Answers on one connection go out in request order (pipelining), whatever order the world answers in.
//
// Restart (design.md rule 6): the server is bound again to the same address and port. Requests that
// were received but not answered at the crash are gone with their connections (the clients see them
// closed); the world's copies of them, if a snapshot holds any, get ENOTCONN when answered. Request
// ids come from a counter in the connection's state, so an id from before a restart never names a
// request of the next run.
#include <deque>
#include <map>
#include <mutex>
#include <unordered_map>

#include "connections/backends.h"
#include "connections/http_request_parser.h"
#include "connections/http_response_writer.h"
#include "connections/hub.h"
#include "connections/socket_link.h"

namespace phantom::connections {
namespace {

constexpr std::size_t max_connections = 4096;   // per server; one more is answered 503 and closed
constexpr std::size_t max_in_flight = 32;       // per connection: pipelined requests not yet answered;
                                                // beyond it the connection is not read (TCP slows the peer)
constexpr std::size_t max_queued = 16384;       // per server: requests waiting for the world, the same way
constexpr std::size_t read_chunk = 64 << 10;
constexpr std::int64_t accept_retry_ns = 100'000'000;  // after EMFILE and the like
constexpr std::int64_t linger_ns = 2'000'000'000;      // the longest a closing connection waits for its peer
constexpr std::size_t linger_bytes = 4 << 20;          // and the most it reads from it meanwhile

struct WebState {  // in the connection's state binary
  std::uint32_t port;       // bound to; a restart binds here again
  std::uint32_t immediate;  // 1: answers go out at once
  std::uint64_t next_id;    // the next request id handed to the world
};

enum WebOp { op_next = 0, op_answer = 1, op_mode = 2, op_port = 3 };

struct Client {
  std::unique_ptr<host::Socket> socket;
  HttpRequestParser parser;
  std::string in;    // received, not parsed yet
  std::string out;   // answers, not yet taken by the kernel
  std::uint64_t next_seq = 0;  // the sequence number of the next request parsed on this connection
  std::uint64_t send_seq = 0;  // the request whose answer goes out next
  std::map<std::uint64_t, std::pair<std::string, bool>> ready;  // answers waiting for earlier ones; bool: close after
  std::size_t in_flight = 0;   // requests parsed, not answered
  bool no_more = false;        // a request said Connection: close, or a parse error: read nothing more
  bool peer_done = false;      // the peer closed its side
  bool closing = false;        // close once `out` is sent
  bool lingering = false;      // answered and shut down for writing: reading what the peer still
                               // sends until it closes, so that a close with unread bytes does not
                               // reset the connection before the peer has read its answer
  std::size_t discarded = 0;
};

struct Pending {
  std::uint64_t client;  // Client number
  std::uint64_t seq;
  HttpRequest request;
};

struct ServerCore {
  ServerCore(Hub& h, vm::Ref c) : hub(h), conn(c) {}
  Hub& hub;
  vm::Ref conn;  // for wake-ups
  std::mutex mutex;
  // The queue has a lock of its own, taken inside `mutex` on the loop and alone on the executor: the
  // loop holds `mutex` across socket reads, writes and parsing, and the VM thread taking the next
  // request must not wait for those.
  std::mutex queue_mutex;
  // ---- guarded by queue_mutex ----
  std::deque<Pending> queue;  // complete requests the world has not taken
  bool want_wake = false;     // a VM thread is parked on op_next
  bool stopped = false;       // written under both locks: either one is enough to read it
  // ---- guarded by mutex ----
  std::string label;  // "web 127.0.0.1:8080"
  std::unique_ptr<host::Socket> listener;
  std::unordered_map<std::uint64_t, std::unique_ptr<Client>> clients;
  std::uint64_t next_client = 1;
  bool accept_retry_armed = false;
};
using CorePtr = std::shared_ptr<ServerCore>;

struct Ticket {  // a request the world holds: where its answer goes
  std::uint64_t client, seq;
  bool keep_alive, head;
};

struct WebLink final : SocketLink {
  CorePtr core;
  std::unordered_map<std::int32_t, Ticket> tickets;  // executor only
};

// ---- on the event loop (ServerCore::mutex held where it says _locked) ----

void pump_client(const CorePtr& core, std::uint64_t number);

void close_client_locked(ServerCore& s, std::uint64_t number) {
  auto it = s.clients.find(number);
  if (it == s.clients.end()) return;
  s.hub.loop().unwatch(it->second->socket->handle());
  s.clients.erase(it);  // closes the socket
}

// Moves answers that are next in order into `out`.
void collect_ready_locked(Client& c) {
  for (auto it = c.ready.find(c.send_seq); it != c.ready.end(); it = c.ready.find(c.send_seq)) {
    c.out += it->second.first;
    if (it->second.second) c.closing = true;
    c.ready.erase(it);
    ++c.send_seq;
  }
}

// Parses what has arrived into requests, as far as the limits allow; returns whether any was queued.
bool parse_locked(ServerCore& s, std::uint64_t number, Client& c) {
  bool queued = false;
  auto queue_full = [&] {
    std::lock_guard q(s.queue_mutex);
    return s.queue.size() >= max_queued;
  };
  while (!c.no_more && !c.in.empty() && c.in_flight < max_in_flight && !queue_full()) {
    std::size_t used = c.parser.feed(c.in);
    c.in.erase(0, used);
    if (c.parser.take_continue_wanted() && c.send_seq == c.next_seq) c.out += "HTTP/1.1 100 Continue\r\n\r\n";
    if (c.parser.state() == HttpRequestParser::State::error) {
      // Answered in its turn, after the requests before it, then the connection closes.
      c.ready[c.next_seq++] = {http_error_bytes(c.parser.error_status(), c.parser.error_message()), true};
      c.no_more = true;
      break;
    }
    if (c.parser.state() != HttpRequestParser::State::complete) break;
    HttpRequest request = c.parser.take();
    if (!request.keep_alive) c.no_more = true;  // what follows a Connection: close is not read
    {
      std::lock_guard q(s.queue_mutex);
      s.queue.push_back(Pending{number, c.next_seq++, std::move(request)});
    }
    ++c.in_flight;
    queued = true;
  }
  return queued;
}

// Reads, parses, writes what it can for one client; closes it when it is done or broken.
void pump_client_locked(const CorePtr& core, std::uint64_t number, bool& queued) {
  ServerCore& s = *core;
  auto it = s.clients.find(number);
  if (it == s.clients.end()) return;
  Client& c = *it->second;
  char buffer[read_chunk];
  if (c.lingering) {
    while (true) {
      host::IoResult r = c.socket->read(buffer);
      if (r.kind == host::IoResult::would_block) return;
      c.discarded += r.bytes;
      if (r.kind != host::IoResult::done || c.discarded > linger_bytes) break;
    }
    close_client_locked(s, number);
    return;
  }
  // Read only while there is room to parse: a peer that pipelines faster than the world answers
  // is slowed by TCP flow control instead of growing our buffers.
  while (!c.no_more && !c.peer_done && c.in_flight < max_in_flight && c.in.size() < read_chunk) {
    host::IoResult r = c.socket->read(buffer);
    if (r.kind == host::IoResult::done) {
      c.in.append(buffer, r.bytes);
      s.hub.statistics().add(stat_tcp_rx, r.bytes);
      queued = parse_locked(s, number, c) || queued;
    } else if (r.kind == host::IoResult::closed) {
      c.peer_done = true;
    } else if (r.kind == host::IoResult::failed) {
      close_client_locked(s, number);
      return;
    } else {
      break;
    }
  }
  queued = parse_locked(s, number, c) || queued;  // bytes kept while the connection was full
  collect_ready_locked(c);
  while (!c.out.empty()) {
    host::IoResult r = c.socket->write(c.out);
    if (r.kind == host::IoResult::done) {
      c.out.erase(0, r.bytes);
      s.hub.statistics().add(stat_tcp_tx, r.bytes);
    } else if (r.kind == host::IoResult::failed || r.kind == host::IoResult::closed) {
      close_client_locked(s, number);
      return;
    } else {
      return;  // the kernel's buffer is full: the next writable edge continues
    }
  }
  bool answered_all = c.send_seq == c.next_seq;
  // A peer that closed mid-request can never complete it; one that closed between requests is done
  // once its answers are out.
  if (c.peer_done && (answered_all || c.parser.mid_request())) {
    close_client_locked(s, number);
  } else if (c.closing) {
    c.socket->shutdown_write();
    c.lingering = true;
    std::weak_ptr<ServerCore> weak = core;
    s.hub.loop().add_timer(s.hub.vm().wall_now() + linger_ns, [weak, number] {
      if (auto held = weak.lock()) {
        std::lock_guard lock(held->mutex);
        close_client_locked(*held, number);
      }
    });
    pump_client_locked(core, number, queued);  // what the peer sent meanwhile
  }
}

void wake_if_queued(const CorePtr& core, bool queued) {
  bool wake;
  {
    std::lock_guard lock(core->queue_mutex);
    wake = queued && std::exchange(core->want_wake, false);
  }
  if (wake) wake_socket_waiters(core->hub, core->conn);
}

void pump_client(const CorePtr& core, std::uint64_t number) {
  bool queued = false;
  {
    std::lock_guard lock(core->mutex);
    if (!core->stopped) pump_client_locked(core, number, queued);
  }
  wake_if_queued(core, queued);
}

// After the server's queue was full: every client may have bytes it did not read.
void pump_all(const CorePtr& core) {
  std::vector<std::uint64_t> numbers;
  {
    std::lock_guard lock(core->mutex);
    for (const auto& entry : core->clients) numbers.push_back(entry.first);
  }
  for (std::uint64_t number : numbers) pump_client(core, number);
}

void accept_clients(const CorePtr& core) {
  std::vector<std::uint64_t> fresh;
  {
    std::lock_guard lock(core->mutex);
    ServerCore& s = *core;
    if (s.stopped || !s.listener) return;
    while (true) {
      auto next = s.listener->accept();
      if (!next.ok()) {
        // Out of descriptors, most likely: the connection waits in the kernel's backlog; look again
        // soon, since an edge-triggered listener would not say so again until another one arrives.
        s.hub.vm().console().write_diagnostic(fmt::format("phantom: {}: accept: {}\n", s.label, next.error().message));
        if (!s.accept_retry_armed) {
          s.accept_retry_armed = true;
          std::weak_ptr<ServerCore> weak = core;
          s.hub.loop().add_timer(s.hub.vm().wall_now() + accept_retry_ns, [weak] {
            if (auto c = weak.lock()) {
              { std::lock_guard inner(c->mutex); c->accept_retry_armed = false; }
              accept_clients(c);
            }
          });
        }
        break;
      }
      std::unique_ptr<host::Socket> socket = std::move(next).value();
      if (!socket) break;
      if (s.clients.size() >= max_connections) {
        std::string busy = http_error_bytes(503, fmt::format("{} has {} connections open, its limit", s.label, max_connections));
        (void)socket->write(busy);  // best effort: a fresh socket's buffer takes it
        continue;                   // closed here
      }
      std::uint64_t number = s.next_client++;
      int fd = socket->handle();
      auto client = std::make_unique<Client>();
      client->socket = std::move(socket);
      s.clients.emplace(number, std::move(client));
      std::weak_ptr<ServerCore> weak = core;
      if (!s.hub.loop().watch(fd, ev_in | ev_out | ev_read_hangup | ev_edge, [weak, number](std::uint32_t) {
            if (auto c = weak.lock()) pump_client(c, number);
          })) {
        s.clients.erase(number);
        continue;
      }
      fresh.push_back(number);
    }
  }
  for (std::uint64_t number : fresh) pump_client(core, number);  // bytes may have come with the connection
}

// An answer released (committed) or sent at once (immediate): on the loop.
void deliver(const CorePtr& core, std::uint64_t number, std::uint64_t seq, std::string bytes, bool close) {
  bool queued = false;
  {
    std::lock_guard lock(core->mutex);
    auto it = core->clients.find(number);
    if (core->stopped || it == core->clients.end()) return;  // its client has gone: nobody to tell
    Client& c = *it->second;
    c.ready[seq] = {std::move(bytes), close};
    if (c.in_flight) --c.in_flight;
    pump_client_locked(core, number, queued);  // also reads again if the connection was full
  }
  wake_if_queued(core, queued);
}

// "ADDR:PORT" for a listener: a numeric address ([::1] for IPv6) or localhost.
Result<host::NetAddress> listen_address(std::string_view text) {
  std::string t(text);
  if (t.rfind("localhost:", 0) == 0) t = "127.0.0.1" + t.substr(9);
  return host::NetAddress::parse(t);
}

class WebBackend final : public Backend {
 public:
  std::string_view prefix() const override { return "web:"; }
  std::uint32_t state_size() const override { return sizeof(WebState); }

  OpenResult open(Hub& hub, ConnectionView conn, Link& link, std::string_view suffix, bool restart) override {
    WebState* st = conn.state<WebState>();
    if (!st) return {p_EINVAL, "the connection's state is damaged"};
    auto at = listen_address(suffix);
    if (!at.ok())
      return {p_EINVAL, fmt::format("expected web:ADDR:PORT, ADDR numeric (127.0.0.1, [::1]) or localhost, PORT 0 for "
                                    "any: {}", at.error().message)};
    host::NetAddress address = *at;
    if (restart && st->port) address.port = static_cast<std::uint16_t>(st->port);  // bound again where it was
    std::string why;
    if (!hub.net_rules().may_listen(address, why)) return {p_EACCES, why};
    auto made = host::listen_stream(address);
    if (!made.ok()) return {phantom_errno(made.error().code), made.error().message};
    auto core = std::make_shared<ServerCore>(hub, conn.self());
    {
      std::lock_guard lock(core->mutex);
      core->listener = std::move(made).value();
      core->label = "web " + core->listener->local_address().to_string();
      std::weak_ptr<ServerCore> weak = core;
      if (!hub.loop().watch(core->listener->handle(), ev_in | ev_edge, [weak](std::uint32_t) {
            if (auto c = weak.lock()) accept_clients(c);
          }))
        return {p_EIO, "the event loop refused the listening socket"};
      st->port = core->listener->local_address().port;
    }
    if (!restart) {
      st->immediate = 0;
      st->next_id = 1;
    }
    auto wl = std::make_unique<WebLink>();
    wl->core = core;
    link.state = std::move(wl);
    hub.loop().post([core] { accept_clients(core); });  // clients that came while the world was down
    return {};
  }

  void close(Hub& hub, ConnectionView, Link& link) override {
    auto* wl = static_cast<WebLink*>(link.state.get());
    if (!wl || !wl->core) return;
    wake_all_now(hub, *wl);
    std::lock_guard lock(wl->core->mutex);
    ServerCore& s = *wl->core;
    std::unique_lock queue_lock(s.queue_mutex);
    s.stopped = true;
    s.queue.clear();
    queue_lock.unlock();
    if (s.listener) hub.loop().unwatch(s.listener->handle());
    s.listener.reset();
    for (auto& [number, client] : s.clients) hub.loop().unwatch(client->socket->handle());
    s.clients.clear();
  }

  vm::NativeOutcome block(Hub& hub, ConnectionView conn, Link& link, vm::NativeCall& call, vm::Ref arg, int op) override {
    vm::Vm& vm = hub.vm();
    auto* wl = static_cast<WebLink*>(link.state.get());
    WebState* st = conn.state<WebState>();
    ServerCore& s = *wl->core;
    auto fail = [&](int err, const std::string& message) {
      hub.set_error(conn, message);
      return call.ret(vm.new_int(-err));
    };
    switch (op) {
      case op_next: {
        std::unique_lock lock(s.queue_mutex);
        if (s.stopped) return fail(p_ENOTCONN, s.label + ": the server is closed");
        if (s.queue.empty()) {
          s.want_wake = true;
          return park_on_socket(hub, *wl, call);
        }
        const Pending& p = s.queue.front();
        // Every allocation first: if the heap is full the call runs again and nothing was taken.
        auto id = static_cast<std::int32_t>(st->next_id & 0x7fffffff);
        vm::Ref request = request_object(vm, id, p.request);
        Ticket ticket{p.client, p.seq, p.request.keep_alive, p.request.method == "HEAD"};
        s.queue.pop_front();
        bool was_full = s.queue.size() + 1 == max_queued;
        lock.unlock();
        if (was_full) hub.loop().post([core = wl->core] { pump_all(core); });  // clients left unread
        st = conn.state<WebState>();
        st->next_id = st->next_id % 0x7fffffff + 1;  // positive ints; a stale id would need 2^31 requests
        wl->tickets[id] = ticket;
        return call.ret(request);
      }
      case op_answer: return answer(hub, conn, *wl, call, arg, fail);
      case op_mode: {
        if (!vm.is_int(arg) || (vm.int_of(arg) != 0 && vm.int_of(arg) != 1))
          return fail(p_EINVAL, s.label + ": mode: 0 is committed (answers leave when durable), 1 is immediate");
        std::uint32_t before = st->immediate;
        st->immediate = static_cast<std::uint32_t>(vm.int_of(arg));
        return call.ret(vm.new_int(static_cast<std::int32_t>(before)));
      }
      case op_port: return call.ret(vm.new_int(static_cast<std::int32_t>(st->port)));
      default:
        return fail(p_EINVAL, fmt::format("{}: no operation {} (0 next request, 1 answer, 2 mode, 3 port)", s.label, op));
    }
  }

 private:
  static vm::Ref request_object(vm::Vm& vm, std::int32_t id, const HttpRequest& r) {
    vm::Ref headers = vm.new_directory();
    std::vector<std::pair<std::string, std::string>> merged;  // repeated fields joined, RFC 9110 §5.3
    for (const auto& [name, value] : r.headers) {
      auto same = std::find_if(merged.begin(), merged.end(), [&](const auto& m) { return m.first == name; });
      if (same == merged.end()) merged.emplace_back(name, value);
      else same->second += ", " + value;
    }
    for (const auto& [name, value] : merged) vm.dir_put(headers, vm.new_string(name), vm.new_string(value), true);
    vm::Ref out = vm.new_array();
    vm.array_push(out, vm.new_int(id));
    vm.array_push(out, vm.new_string(r.method));
    vm.array_push(out, vm.new_string(r.path));
    vm.array_push(out, vm.new_string(r.query));
    vm.array_push(out, headers);
    vm.array_push(out, vm.new_string(r.body));
    return out;
  }

  template <typename Fail>
  vm::NativeOutcome answer(Hub& hub, ConnectionView conn, WebLink& wl, vm::NativeCall& call, vm::Ref arg, Fail& fail) {
    vm::Vm& vm = hub.vm();
    const std::string& label = wl.core->label;  // set once at open
    const char* form = ": answer: the argument is [id, status, headers (array of name, value strings, or null), body (string or null)]";
    if (!vm.is_a(arg, vm::cid_array) || vm.array_size(arg) != 4) return fail(p_EINVAL, label + form);
    vm::Ref id = vm.array_get(arg, 0), status = vm.array_get(arg, 1), fields = vm.array_get(arg, 2), body = vm.array_get(arg, 3);
    if (!vm.is_int(id) || !vm.is_int(status)) return fail(p_EINVAL, label + form);
    auto ticket = wl.tickets.find(vm.int_of(id));
    if (ticket == wl.tickets.end())
      return fail(p_ENOTCONN, fmt::format("{}: request {} has no connection any more (its client closed it, it was "
                                          "answered already, or it was lost by a restart)", label, vm.int_of(id)));
    HttpResponseSpec spec;
    spec.status = vm.int_of(status);
    if (!vm.is_null(fields)) {
      if (!vm.is_a(fields, vm::cid_array) || vm.array_size(fields) % 2 != 0) return fail(p_EINVAL, label + form);
      for (std::uint32_t i = 0; i < vm.array_size(fields); i += 2) {
        vm::Ref name = vm.array_get(fields, i), value = vm.array_get(fields, i + 1);
        if (!vm.is_a(name, vm::cid_string) || !vm.is_a(value, vm::cid_string)) return fail(p_EINVAL, label + form);
        spec.headers.emplace_back(std::string(vm.string_of(name)), std::string(vm.string_of(value)));
      }
    }
    if (!vm.is_null(body) && !vm.is_a(body, vm::cid_string)) return fail(p_EINVAL, label + form);
    if (!vm.is_null(body)) spec.body = vm.string_of(body);
    spec.keep_alive = ticket->second.keep_alive;
    spec.head_only = ticket->second.head;
    auto bytes = http_response_bytes(spec);
    if (!bytes.ok()) return fail(p_EINVAL, fmt::format("{}: answer to request {}: {}", label, vm.int_of(id), bytes.error().message));
    Ticket t = ticket->second;
    std::weak_ptr<ServerCore> weak = wl.core;
    auto send = [weak, t, data = std::move(bytes).value()]() mutable {
      auto core = weak.lock();
      if (!core) return;
      core->hub.loop().post([core, t, data = std::move(data)]() mutable {
        deliver(core, t.client, t.seq, std::move(data), !t.keep_alive);
      });
    };
    WebState* st = conn.state<WebState>();
    if (st->immediate) {
      send();
    } else {
      std::size_t size = spec.body.size();
      hub.outbox().append_transient(std::move(send), size);  // may throw: nothing done, the call runs again
    }
    wl.tickets.erase(ticket);
    return call.ret(vm.new_int(0));
  }
};

}  // namespace

std::unique_ptr<Backend> make_web_backend() { return std::make_unique<WebBackend>(); }

}  // namespace phantom::connections
