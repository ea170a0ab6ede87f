// The HTTP client on libcurl (host layer, Linux): http_client.h. Built as the module
// phantom-http-curl.so, loaded by start_http_client the first time (plugin_loader.h).
//
// Why a thread of its own, with libcurl's multi interface and curl_multi_poll, rather than the
// host's EventLoop: curl drives its sockets through socket and timer callbacks that want monotonic
// timers and changes of the watched events (EventLoop has wall-clock timers and fixed watches), and
// it resolves names on threads of its own. One thread per world that runs every transfer of that
// world keeps all of it away from the VM executor and from the event loop's timers (a slow TLS
// handshake never delays a `tmr:` callback); start() and cancel() only queue work and wake the thread
// with curl_multi_wakeup. The thread starts with the client and ends with it.
#include "host/http_client.h"

#include <curl/curl.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

namespace phantom::host {
namespace {

// One request while curl works on it (owned by the client's thread once added).
struct Transfer {
  HttpClient::RequestId id = 0;
  HttpRequest request;
  HttpClient::Done done;
  HttpResult result;
  CURL* easy = nullptr;
  curl_slist* header_list = nullptr;
  char error_buffer[CURL_ERROR_SIZE] = {};
  bool too_large = false;
  std::string denied;  // why check_address refused a connection

  ~Transfer() {
    if (easy) curl_easy_cleanup(easy);
    curl_slist_free_all(header_list);
  }
};

bool has_line_break(const std::string& s) { return s.find_first_of("\r\n") != std::string::npos; }

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t bytes = size * n;
  if (t->result.response.body.size() + bytes > t->request.max_body) {
    t->too_large = true;
    return 0;  // curl stops with CURLE_WRITE_ERROR
  }
  t->result.response.body.append(data, bytes);
  return bytes;
}

// Header lines of every response, one at a time; a status line starts a new response (a redirect's
// or a 100 Continue's headers are not the answer's).
size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t bytes = size * n;
  std::string_view line(data, bytes);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  HttpResponse& r = t->result.response;
  if (line.starts_with("HTTP/")) {
    r.headers.clear();
    r.reason.clear();
    auto sp1 = line.find(' ');
    auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 != std::string_view::npos) r.reason = std::string(line.substr(sp2 + 1));
    return bytes;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return bytes;  // the blank line, or junk
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  if (r.headers.size() < 1000) r.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
  return bytes;
}

// Every connection curl makes goes through here, so the --connect rules see the address that a name
// resolved to, for the first request and for every redirect.
curl_socket_t on_open_socket(void* user, curlsocktype, curl_sockaddr* address) {
  auto* t = static_cast<Transfer*>(user);
  if (t->request.check_address) {
    NetAddress a;
    if (address->family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(&address->addr);
      a.family = NetAddress::ipv4;
      std::memcpy(a.bytes.data(), &in->sin_addr, 4);
      a.port = ntohs(in->sin_port);
    } else if (address->family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address->addr);
      a.family = NetAddress::ipv6;
      std::memcpy(a.bytes.data(), &in6->sin6_addr, 16);
      a.port = ntohs(in6->sin6_port);
    } else {
      t->denied = "not an IP address";
      return CURL_SOCKET_BAD;
    }
    // The host of the URL being fetched now (a redirect's, after one).
    std::string host;
    char* url = nullptr;
    curl_easy_getinfo(t->easy, CURLINFO_EFFECTIVE_URL, &url);
    if (CURLU* u = curl_url()) {
      char* h = nullptr;
      if (url && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK && curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK) host = h;
      curl_free(h);
      curl_url_cleanup(u);
    }
    if (std::string why = t->request.check_address(host, a); !why.empty()) {
      t->denied = std::move(why);
      return CURL_SOCKET_BAD;
    }
  }
  return ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

HttpErrc classify(CURLcode code) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT: return HttpErrc::bad_request;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return HttpErrc::dns;
    case CURLE_COULDNT_CONNECT: return HttpErrc::refused;
    case CURLE_OPERATION_TIMEDOUT: return HttpErrc::timeout;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE: return HttpErrc::tls;
    case CURLE_FILESIZE_EXCEEDED: return HttpErrc::too_large;
    case CURLE_TOO_MANY_REDIRECTS: return HttpErrc::too_many_redirects;
    default: return HttpErrc::failed;
  }
}

class CurlHttpClient final : public HttpClient {
 public:
  CurlHttpClient() {
    static std::once_flag global;
    std::call_once(global, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    multi_ = curl_multi_init();
    thread_ = std::thread([this] { run(); });
  }

  ~CurlHttpClient() override {
    {
      std::lock_guard lock(queue_mutex_);
      stop_ = true;
    }
    curl_multi_wakeup(multi_);
    thread_.join();
    for (auto& [id, t] : active_) curl_multi_remove_handle(multi_, t->easy);
    active_.clear();
    incoming_.clear();
    curl_multi_cleanup(multi_);
  }

  RequestId start(HttpRequest request, Done done) override {
    auto t = std::make_unique<Transfer>();
    t->id = next_id_.fetch_add(1);
    t->request = std::move(request);
    t->done = std::move(done);
    RequestId id = t->id;
    {
      std::lock_guard lock(queue_mutex_);
      incoming_.push_back(std::move(t));
    }
    curl_multi_wakeup(multi_);
    return id;
  }

  void cancel(RequestId id) override {
    {
      // After this, finish() will not call `done` for `id` (it checks under the same lock).
      std::lock_guard lock(done_mutex_);
      cancelled_.insert(id);
    }
    curl_multi_wakeup(multi_);
  }

 private:
  void run() {
    while (true) {
      std::vector<std::unique_ptr<Transfer>> fresh;
      {
        std::lock_guard lock(queue_mutex_);
        if (stop_) return;
        fresh.swap(incoming_);
      }
      for (auto& t : fresh) begin(std::move(t));
      drop_cancelled();
      int running = 0;
      curl_multi_perform(multi_, &running);
      int left = 0;
      while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
        if (msg->msg != CURLMSG_DONE) continue;
        Transfer* raw = nullptr;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &raw);
        CURLcode code = msg->data.result;
        curl_multi_remove_handle(multi_, msg->easy_handle);
        auto it = active_.find(raw->id);
        std::unique_ptr<Transfer> t = std::move(it->second);
        active_.erase(it);
        finish(*t, code);
      }
      curl_multi_poll(multi_, nullptr, 0, 1000, nullptr);
    }
  }

  void drop_cancelled() {
    std::lock_guard lock(done_mutex_);
    std::lock_guard queue(queue_mutex_);
    for (auto it = cancelled_.begin(); it != cancelled_.end();) {
      auto a = active_.find(*it);
      if (a != active_.end()) {
        curl_multi_remove_handle(multi_, a->second->easy);
        active_.erase(a);
        it = cancelled_.erase(it);
        continue;
      }
      // Still queued: begin() adds it next round and this drops it then. Neither queued nor active:
      // it finished before the cancel, and its id is forgotten.
      bool queued = std::any_of(incoming_.begin(), incoming_.end(), [&](const auto& t) { return t->id == *it; });
      it = queued ? std::next(it) : cancelled_.erase(it);
    }
  }

  // Configures the easy handle; a request that cannot be made answers at once.
  void begin(std::unique_ptr<Transfer> t) {
    const HttpRequest& rq = t->request;
    auto refuse = [&](std::string why) {
      t->result.error = HttpErrc::bad_request;
      t->result.message = fmt::format("{}: {}", rq.url, why);
      deliver(*t);
    };
    std::string scheme = rq.url.substr(0, rq.url.find(':'));
    std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return std::tolower(c); });
    if (scheme != "http" && scheme != "https") return refuse("only http:// and https:// URLs can be fetched");
    if (has_line_break(rq.url) || rq.url.find(' ') != std::string::npos) return refuse("the URL contains a space or a line break");
    if (rq.method.empty() || rq.method.find_first_of(" \t\r\n") != std::string::npos)
      return refuse(fmt::format("'{}' is not a request method", rq.method));
    for (const auto& [name, value] : rq.headers) {
      if (name.empty() || name.find_first_of(": \t\r\n") != std::string::npos)
        return refuse(fmt::format("'{}' is not a header name", name));
      if (has_line_break(value)) return refuse(fmt::format("the value of header '{}' contains a line break", name));
      t->header_list = curl_slist_append(t->header_list, (name + ": " + value).c_str());
    }
    // No "Expect: 100-continue" for large bodies: many small servers never answer it (a 1 s stall).
    t->header_list = curl_slist_append(t->header_list, "Expect:");

    CURL* e = t->easy = curl_easy_init();
    curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
    curl_easy_setopt(e, CURLOPT_URL, rq.url.c_str());
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);  // threads: no SIGALRM for DNS timeouts
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_PROXY, "");  // no proxy from the environment: the world's rules decide
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->error_buffer);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->header_list);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "Phantom/1 (libcurl)");
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");  // decoded before max_body is checked
    std::int64_t timeout = std::max<std::int64_t>(rq.timeout_ms, 1);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min<std::int64_t>(timeout, 10'000)));
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, rq.max_redirects > 0 ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, static_cast<long>(std::max(rq.max_redirects, 0)));
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(rq.max_body));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, &on_open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t.get());
    const std::string& m = rq.method;
    bool sends_body = !rq.body.empty() || m == "POST" || m == "PUT" || m == "PATCH";
    if (m == "HEAD") {
      curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (sends_body) {
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(rq.body.size()));
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, rq.body.data());  // t->request outlives the transfer
      // POST stays curl's own, so that a 301/302/303 turns into a GET as browsers do.
      if (m != "POST") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m.c_str());
    } else if (m != "GET") {
      curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m.c_str());
    }
    curl_multi_add_handle(multi_, e);
    RequestId id = t->id;
    active_.emplace(id, std::move(t));
  }

  void finish(Transfer& t, CURLcode code) {
    HttpResult& r = t.result;
    if (code == CURLE_OK) {
      long status = 0;
      curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &status);
      r.response.status = static_cast<int>(status);
      char* url = nullptr;
      curl_easy_getinfo(t.easy, CURLINFO_EFFECTIVE_URL, &url);
      r.response.url = url ? url : t.request.url;
    } else {
      r.error = !t.denied.empty() ? HttpErrc::denied : t.too_large ? HttpErrc::too_large : classify(code);
      std::string detail = !t.denied.empty() ? t.denied
                           : r.error == HttpErrc::too_large
                               ? fmt::format("the body is longer than the limit of {} bytes", t.request.max_body)
                           : t.error_buffer[0] ? std::string(t.error_buffer)
                                               : std::string(curl_easy_strerror(code));
      r.message = fmt::format("{}: {} ({})", t.request.url, http_errc_name(r.error), detail);
      r.response.body.clear();
    }
    deliver(t);
  }

  void deliver(Transfer& t) {
    std::lock_guard lock(done_mutex_);
    if (cancelled_.erase(t.id)) return;
    if (t.done) t.done(std::move(t.result));
  }

  CURLM* multi_ = nullptr;
  std::thread thread_;
  std::atomic<RequestId> next_id_{1};
  std::mutex queue_mutex_;  // incoming_, stop_
  std::vector<std::unique_ptr<Transfer>> incoming_;
  bool stop_ = false;
  std::mutex done_mutex_;  // cancelled_; held while `done` runs, so cancel() waits for a running one
  std::unordered_set<RequestId> cancelled_;
  std::unordered_map<RequestId, std::unique_ptr<Transfer>> active_;  // the client's thread only
};

}  // namespace

// The module's factory (host/http_client.h): the only symbol phantom-http-curl.so exports.
HttpClient* phantom_http_curl_start_v1() { return new CurlHttpClient(); }

}  // namespace phantom::host
