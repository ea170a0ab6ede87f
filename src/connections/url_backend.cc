// url: HTTP(S) requests, and `.internal.tcp.curl` [24] (connections layer, subsystems.md §3.3 and §4;
// docs/network.md "HTTP client"). The name is "url:" and the URL: `url:http://host/path`.
//
//   block(null, 0)     GET the URL: the body, a string (any status), or "" when no answer came; the
//                      reason is in lastError() (which also names a status of 400 and above)
//   block(request, 1)  a full request: `request` is a .internal.directory with "method" (default GET),
//                      "headers" (a directory name -> value, or a string of "Name: value" lines),
//                      "body", "timeout" (ms, default 30000), "redirects" (default 5; 0: none),
//                      "maxSize" (bytes, default 16 MiB), "immediate" (1: send at once, not after
//                      the next commit), "once" (1: never send again after a restart; see below);
//                      null means a plain GET. The answer is a
//                      directory: "status" int, "reason", "headers" (a directory; names in lower case,
//                      repeated ones joined with ", "), "body", "url" (after redirects); or a negative
//                      errno with lastError(): -61 refused, -60 timeout, -65 name not resolved,
//                      -27 too large, -62 too many redirects, -13 not allowed, -5 TLS or other,
//                      -22 bad request, -4 interrupted by a restart ("once")
//
// Waiting: the first run of the native starts the request on the host client (host/http_client.h)
// and parks only its VM thread; the answer comes back on the client's thread, is posted to the
// executor, kept here in host memory and the thread is woken; the native then runs again (pvm.md
// §5.4) and returns it. A thread's request is told from an older one by a token in its wait_phase.
//
// Output commit (design.md rule 5): a request leaves only once the snapshot that holds its thread
// waiting for it has committed (an outbox transient entry), so no request comes from a state that a
// crash took back; "immediate" trades that for one snapshot less of latency.
//
// Restart: nothing of a request survives in host memory. A VM thread that was waiting for an answer
// when the world stopped is in the native again after the restore, with the request's token still in
// its wait_phase. By default the request is made again from the start: a GET is repeated, and so is a
// POST (the server may see it twice: at least once). With "once" it is not: the call answers -4 and
// lastError() says the restart interrupted it (at most once). The URL is the connection's name, so the
// connection itself is always re-made. docs/network.md, "What a restart does".
#include <algorithm>
#include <mutex>
#include <unordered_map>

#include "connections/backends.h"
#include "connections/hub.h"
#include "host/http_client.h"

namespace phantom::connections {
namespace {

// BSD errno values (subsystems.md §0) beyond connection.h's.
constexpr int p_EINTR = 4, p_EFBIG = 27, p_ETIMEDOUT = 60, p_ECONNREFUSED = 61, p_ELOOP = 62, p_EHOSTUNREACH = 65;

constexpr std::int64_t default_timeout_ms = 30'000, max_timeout_ms = 600'000;
constexpr std::int64_t default_max_size = 16 << 20, max_max_size = 256 << 20;
constexpr std::size_t curl_max_text = 1024;  // tcp.curl's URL and header limits (the original's)

enum UrlOp { op_get = 0, op_request = 1 };

int errno_of(host::HttpErrc e) {
  switch (e) {
    case host::HttpErrc::refused: return p_ECONNREFUSED;
    case host::HttpErrc::timeout: return p_ETIMEDOUT;
    case host::HttpErrc::dns: return p_EHOSTUNREACH;
    case host::HttpErrc::too_large: return p_EFBIG;
    case host::HttpErrc::too_many_redirects: return p_ELOOP;
    case host::HttpErrc::denied: return p_EACCES;
    case host::HttpErrc::bad_request: return p_EINVAL;
    default: return p_EIO;
  }
}

bool is_http_url(std::string_view url) {
  auto lower_starts = [&](std::string_view p) {
    if (url.size() <= p.size()) return false;
    for (std::size_t i = 0; i < p.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(url[i])) != p[i]) return false;
    return true;
  };
  return lower_starts("http://") || lower_starts("https://");
}

// "Name: value" lines (separated by \n or \r\n; empty lines skipped) into pairs; false on a line
// without a colon (`bad` is that line).
bool parse_header_lines(std::string_view text, std::vector<std::pair<std::string, std::string>>& out, std::string& bad) {
  while (!text.empty()) {
    auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      bad = std::string(line.substr(0, 80));
      return false;
    }
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    out.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  return true;
}

// How a request leaves: committed (after the snapshot holding the waiting thread; the default),
// immediate (at once), once (committed, and never sent again after a restart).
struct Sending {
  bool immediate = false;
  bool once = false;
};

// A request on its way out; shared with the outbox's release, which runs on another thread.
struct Flight {
  std::mutex mutex;
  bool cancelled = false;
  host::HttpClient::RequestId id = 0;  // 0 until it has left
};

// One VM thread's request (host memory, on the executor only).
struct Waiting {
  std::uint32_t token = 0;
  vm::Ref conn = vm::raw_null;  // the url: connection, or raw_null for tcp.curl
  std::shared_ptr<Flight> flight;
  bool done = false;
  host::HttpResult result;
};

class UrlBackend final : public Backend {
 public:
  std::string_view prefix() const override { return "url:"; }

  OpenResult open(Hub&, ConnectionView, Link&, std::string_view suffix, bool) override {
    if (!is_http_url(suffix))
      return {p_EINVAL, fmt::format("'{}' is not an http:// or https:// URL", suffix.substr(0, 100))};
    return {};  // nothing to hold between requests: the URL is the name
  }

  void close(Hub& hub, ConnectionView conn, Link&) override {
    // Threads waiting on this connection run their call again and find it disconnected (ENOTCONN).
    vm::Vm& vm = hub.vm();
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if (it->second.conn != conn.self()) {
        ++it;
        continue;
      }
      cancel(it->second);
      wake(vm, it->first, it->second.token, true);
      it = waiting_.erase(it);
    }
  }

  vm::NativeOutcome block(Hub& hub, ConnectionView conn, Link& link, vm::NativeCall& call, vm::Ref arg, int op) override {
    vm::Vm& vm = hub.vm();
    std::string url = conn.name().substr(4);
    auto fail = [&](int err, const std::string& message) {
      hub.set_error(conn, fmt::format("url:{}: {}", url, message));
      return call.ret(vm.new_int(-err));
    };
    host::HttpRequest rq;
    rq.url = url;
    Sending how;
    if (op == op_request) {
      if (std::string problem = read_request(vm, arg, rq, how); !problem.empty()) return fail(p_EINVAL, problem);
    } else if (op != op_get) {
      return Backend::block(hub, conn, link, call, arg, op);
    }
    return fetch(hub, call, conn.self(), std::move(rq), how, [&, op](const host::HttpResult& r, int err) {
      if (!r.ok()) {
        hub.set_error(conn, r.message);
        return call.ret(op == op_get ? vm.new_string("") : vm.new_int(-err));
      }
      vm::Ref out = op == op_get ? vm.new_string(r.response.body) : response_object(vm, r.response);
      if (r.response.status >= 400)
        hub.set_error(conn, fmt::format("url:{}: the server answered {} {}", url, r.response.status, r.response.reason));
      else
        hub.set_error(conn, "");
      return call.ret(out);
    });
  }

  // `.internal.tcp.curl(url, headers)`: a GET with extra header lines; the body, or "" on failure
  // with the reason on the console's diagnostic stream (the original returned "" silently).
  vm::NativeOutcome curl(Hub& hub, vm::NativeCall& call) {
    vm::Vm& vm = hub.vm();
    if (call.nargs < 2) return vm.throw_string(call, "sys: need more parameters");
    if (!vm.is_a(call.args[0], vm::cid_string)) return vm.throw_string(call, "curl: the URL must be a string");
    bool no_headers = vm.is_null(call.args[1]);
    if (!no_headers && !vm.is_a(call.args[1], vm::cid_string))
      return vm.throw_string(call, "curl: the headers must be a string of \"Name: value\" lines");
    std::string_view url = vm.string_of(call.args[0]);
    std::string_view headers = no_headers ? std::string_view() : vm.string_of(call.args[1]);
    if (url.size() > curl_max_text) return vm.throw_string(call, "URL too long");
    if (headers.size() > curl_max_text) return vm.throw_string(call, "HTTP headers too long");
    host::HttpRequest rq;
    rq.url = std::string(url);
    std::string bad;
    if (!parse_header_lines(headers, rq.headers, bad))
      return vm.throw_string(call, fmt::format("curl: the header line '{}' has no ':'", bad));
    return fetch(hub, call, vm::raw_null, std::move(rq), Sending{}, [&](const host::HttpResult& r, int) {
      if (!r.ok()) {
        vm.console().write_diagnostic(fmt::format("phantom: tcp.curl: {}\n", r.message));
        return call.ret(vm.new_string(""));
      }
      if (r.response.status >= 400)
        vm.console().write_diagnostic(fmt::format("phantom: tcp.curl: {}: the server answered {} {}\n", r.response.url,
                                                  r.response.status, r.response.reason));
      return call.ret(vm.new_string(r.response.body));
    });
  }

 private:
  host::HttpClient& client() {
    if (!client_) client_ = host::start_http_client();  // its thread starts with the first request
    return *client_;
  }

  // The waiting protocol (see the file comment). `answer` makes the result object from the response;
  // it may throw OutOfMemory, so the response is dropped only once it has returned.
  template <typename Answer>
  vm::NativeOutcome fetch(Hub& hub, vm::NativeCall& call, vm::Ref conn, host::HttpRequest rq, Sending how, Answer answer) {
    vm::Vm& vm = hub.vm();
    vm::ThreadData* td = vm.thread_data(call.thread);
    if (auto it = waiting_.find(call.thread); it != waiting_.end()) {
      if (it->second.token == td->wait_phase) {
        if (!it->second.done) {
          td->state = vm::ThreadState::wait_connection;  // woken early: keep waiting
          return vm::NativeOutcome::blocked;
        }
        const host::HttpResult& r = it->second.result;
        vm::NativeOutcome out = answer(r, r.ok() ? 0 : errno_of(r.error));
        waiting_.erase(it);
        vm.thread_data(call.thread)->wait_phase = 0;
        return out;
      }
      cancel(it->second);  // an older request of this thread that it no longer waits for
      waiting_.erase(it);
    }
    if (td->wait_phase != 0) {
      // The thread was waiting for this request when the world stopped (its wait_phase is in the
      // snapshot, and with a committed request that snapshot committed before the request left): it
      // may have reached the server. By default it is made again from the start; "once" says no.
      if (how.once) {
        host::HttpResult r;
        r.error = host::HttpErrc::failed;
        r.message = fmt::format("{}: interrupted by a restart while waiting for the answer; not sent again "
                                "(the server may or may not have received it)", rq.url);
        vm::NativeOutcome out = answer(r, p_EINTR);  // may throw OutOfMemory: wait_phase still says so
        vm.thread_data(call.thread)->wait_phase = 0;
        return out;
      }
    }
    rq.check_address = [rules = &hub.net_rules()](const std::string& host, const host::NetAddress& address) {
      std::string why;
      return rules->may_connect(host, address, why) ? std::string() : why;
    };
    std::uint32_t token = next_token_++;
    if (next_token_ == 0) next_token_ = 1;
    vm::Ref thread = call.thread;
    Hub* h = &hub;
    host::HttpClient* c = &client();
    host::HttpClient::Done done = [this, h, thread, token](host::HttpResult r) {
      auto shared = std::make_shared<host::HttpResult>(std::move(r));
      h->vm().post([this, h, thread, token, shared] { arrived(*h, thread, token, std::move(*shared)); });
    };
    auto flight = std::make_shared<Flight>();
    if (how.immediate && !how.once) {
      flight->id = c->start(std::move(rq), std::move(done));
    } else {
      // Output commit (design.md rule 5): the request leaves once the snapshot that holds this thread
      // waiting for it has committed, so no request comes from a state that a crash took back.
      auto shared_rq = std::make_shared<host::HttpRequest>(std::move(rq));
      hub.outbox().append_transient([c, flight, shared_rq, done] {
        std::lock_guard lock(flight->mutex);
        if (!flight->cancelled) flight->id = c->start(std::move(*shared_rq), done);
      });
    }
    Waiting& w = waiting_[call.thread];
    w.token = token;
    w.conn = conn;
    w.flight = flight;
    td = vm.thread_data(call.thread);
    td->wait_phase = token;
    td->state = vm::ThreadState::wait_connection;
    return vm::NativeOutcome::blocked;
  }

  void cancel(Waiting& w) {
    std::lock_guard lock(w.flight->mutex);
    w.flight->cancelled = true;
    if (w.flight->id) client().cancel(w.flight->id);
  }

  // On the executor: the answer to `thread`'s request `token`.
  void arrived(Hub& hub, vm::Ref thread, std::uint32_t token, host::HttpResult r) {
    auto it = waiting_.find(thread);
    if (it == waiting_.end() || it->second.token != token) return;  // cancelled, or the thread moved on
    it->second.done = true;
    it->second.result = std::move(r);
    wake(hub.vm(), thread, token, false);
  }

  static void wake(vm::Vm& vm, vm::Ref thread, std::uint32_t token, bool forget) {
    if (!vm.is_a(thread, vm::cid_thread)) return;
    vm::ThreadData* td = vm.thread_data(thread);
    if (td->wait_phase != token) return;
    if (forget) td->wait_phase = 0;
    if (td->state == vm::ThreadState::wait_connection) vm.make_runnable(thread);
  }

  // The request directory of op 1 into `rq`; "" or what is wrong with it.
  static std::string read_request(vm::Vm& vm, vm::Ref arg, host::HttpRequest& rq, Sending& how) {
    if (vm.is_null(arg)) return "";
    if (!vm.is_a(arg, vm::cid_directory)) return "request: the argument is a .internal.directory (or null for a GET)";
    auto text = [&](const char* key, std::string& out) -> std::string {
      vm::Ref v = vm.dir_get(arg, key);
      if (v == vm::raw_null || vm.is_null(v)) return "";
      if (!vm.is_a(v, vm::cid_string)) return fmt::format("request: \"{}\" must be a string", key);
      out = std::string(vm.string_of(v));
      return "";
    };
    auto number = [&](const char* key, std::int64_t& out, std::int64_t low, std::int64_t high) -> std::string {
      vm::Ref v = vm.dir_get(arg, key);
      if (v == vm::raw_null || vm.is_null(v)) return "";
      if (!vm.is_int(v) || vm.int_of(v) < low || vm.int_of(v) > high)
        return fmt::format("request: \"{}\" must be an int from {} to {}", key, low, high);
      out = vm.int_of(v);
      return "";
    };
    std::string problem;
    if (!(problem = text("method", rq.method)).empty()) return problem;
    if (rq.method.empty()) rq.method = "GET";
    if (!(problem = text("body", rq.body)).empty()) return problem;
    std::int64_t timeout = default_timeout_ms, redirects = 5, max_size = default_max_size;
    if (!(problem = number("timeout", timeout, 1, max_timeout_ms)).empty()) return problem;
    if (!(problem = number("redirects", redirects, 0, 50)).empty()) return problem;
    if (!(problem = number("maxSize", max_size, 0, max_max_size)).empty()) return problem;
    std::int64_t immediate = 0, once = 0;
    if (!(problem = number("immediate", immediate, 0, 1)).empty()) return problem;
    if (!(problem = number("once", once, 0, 1)).empty()) return problem;
    how.immediate = immediate == 1;
    how.once = once == 1;
    rq.timeout_ms = timeout;
    rq.max_redirects = static_cast<int>(redirects);
    rq.max_body = static_cast<std::size_t>(max_size);
    vm::Ref headers = vm.dir_get(arg, "headers");
    if (headers == vm::raw_null || vm.is_null(headers)) return "";
    if (vm.is_a(headers, vm::cid_string)) {
      std::string bad;
      if (!parse_header_lines(vm.string_of(headers), rq.headers, bad)) return fmt::format("request: the header line '{}' has no ':'", bad);
      return "";
    }
    if (!vm.is_a(headers, vm::cid_directory)) return "request: \"headers\" must be a directory or a string of lines";
    auto* d = vm.heap().as<vm::DirectoryData>(headers);
    vm::Ref table = d->table;
    for (std::uint32_t i = 0; i < vm.page_slots(table) / 2; ++i) {
      vm::Ref k = vm.page_refs(table)[2 * i];
      if (k == vm::raw_null || k == vm.null_object()) continue;
      vm::Ref v = vm.page_refs(table)[2 * i + 1];
      if (!vm.is_a(v, vm::cid_string))
        return fmt::format("request: the value of header \"{}\" must be a string", vm.string_of(k));
      rq.headers.emplace_back(std::string(vm.string_of(k)), std::string(vm.string_of(v)));
    }
    return "";
  }

  static vm::Ref response_object(vm::Vm& vm, const host::HttpResponse& r) {
    vm::Ref out = vm.new_directory();
    vm.dir_put(out, vm.new_string("status"), vm.new_int(r.status), true);
    vm.dir_put(out, vm.new_string("reason"), vm.new_string(r.reason), true);
    vm.dir_put(out, vm.new_string("body"), vm.new_string(r.body), true);
    vm.dir_put(out, vm.new_string("url"), vm.new_string(r.url), true);
    vm::Ref headers = vm.new_directory();
    vm.dir_put(out, vm.new_string("headers"), headers, true);
    // HTTP names are case-insensitive: lower case, so a program finds "content-type" however sent.
    std::vector<std::pair<std::string, std::string>> merged;
    for (const auto& [name, value] : r.headers) {
      std::string lower = name;
      std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
      auto same = std::find_if(merged.begin(), merged.end(), [&](const auto& p) { return p.first == lower; });
      if (same == merged.end()) merged.emplace_back(lower, value);
      else same->second += ", " + value;
    }
    for (const auto& [name, value] : merged) vm.dir_put(headers, vm.new_string(name), vm.new_string(value), true);
    return out;
  }

  std::unordered_map<vm::Ref, Waiting> waiting_;  // by VM thread
  std::uint32_t next_token_ = 1;
  std::unique_ptr<host::HttpClient> client_;  // last: destroyed first, so no answer arrives after
};

vm::NativeOutcome tcp_curl(vm::Vm& vm, vm::NativeCall& call) {
  Hub& hub = hub_of(vm);
  auto* url = static_cast<UrlBackend*>(hub.backend_for("url:"));
  return url->curl(hub, call);
}

}  // namespace

std::unique_ptr<Backend> make_url_backend() { return std::make_unique<UrlBackend>(); }

void install_http_natives(vm::Vm& vm) { vm.set_native(vm::cid_tcp, 24, &tcp_curl); }

}  // namespace phantom::connections
