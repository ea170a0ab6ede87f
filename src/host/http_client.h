// HttpClient: HTTP(S) requests to the world outside (host layer interface), for the `url:` connection
// and `.internal.tcp.curl` (docs/network.md "HTTP client"). A request is asynchronous: start() returns
// at once and `done` is called later, once, on the client's own thread, with the response or a clear
// error. The caller (the connections layer) hands the answer to the VM executor with Vm::post, so the
// VM thread that asked is the only one that waits.
//
// Invariants: `done` is called exactly once for every started request that is not cancelled, never
// from inside start(), and never after cancel() or the client's destruction returned. Limits are
// enforced here, so that a hostile server cannot make the world hold more than `max_body` bytes.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "host/net.h"

namespace phantom::host {

struct HttpRequest {
  std::string method = "GET";    // any token: GET, POST, PUT, DELETE, HEAD, PATCH, ...
  std::string url;               // http:// or https:// only
  std::vector<std::pair<std::string, std::string>> headers;  // sent in this order
  std::string body;              // sent when not empty, or always for POST/PUT/PATCH
  std::int64_t timeout_ms = 30'000;  // the whole request, redirects included; at least 1
  int max_redirects = 5;         // 0: a 3xx is the answer, not followed
  std::size_t max_body = 16u << 20;  // a longer response body fails with too_large
  // Asked before every connection (the first and each redirect's) with the URL's host as written and
  // the address it resolved to: "" allows it, anything else refuses it with that reason (--connect
  // rules). May be empty.
  std::function<std::string(const std::string& host, const NetAddress& address)> check_address;
};

struct HttpResponse {
  int status = 0;                // 200, 404, ... of the last response (after redirects)
  std::string reason;            // "OK", "Not Found" (may be empty: HTTP/2 has none)
  std::vector<std::pair<std::string, std::string>> headers;  // of the last response, names as sent
  std::string body;
  std::string url;               // where the answer came from, after redirects
};

// Why a request failed; each value says who can fix it.
enum class HttpErrc {
  none,
  bad_request,        // not an http(s) URL, a malformed one, a header with a line break: fix the program
  dns,                // the host name does not resolve: fix the name or the network
  refused,            // nobody listens there (or the host is unreachable): start the server
  timeout,            // no complete answer within timeout_ms: a slow server; retry or wait longer
  tls,                // the TLS handshake or certificate check failed: fix the server's certificate
  too_large,          // the body exceeds max_body: raise the limit or ask for less
  too_many_redirects, // more than max_redirects: a redirect loop on the server
  denied,             // refused by check_address (--connect rules): the operator allows it
  failed,             // anything else (connection reset, protocol error): see the message
};
// "connection refused", "timed out", ... (inline: the libcurl module uses it too).
inline const char* http_errc_name(HttpErrc code) {
  switch (code) {
    case HttpErrc::none: return "none";
    case HttpErrc::bad_request: return "bad request";
    case HttpErrc::dns: return "name not resolved";
    case HttpErrc::refused: return "connection refused";
    case HttpErrc::timeout: return "timed out";
    case HttpErrc::tls: return "TLS failure";
    case HttpErrc::too_large: return "response too large";
    case HttpErrc::too_many_redirects: return "too many redirects";
    case HttpErrc::denied: return "connection not allowed";
    case HttpErrc::failed: return "failed";
  }
  return "failed";
}

struct HttpResult {
  HttpErrc error = HttpErrc::none;
  std::string message;  // when error != none: lower case, with the URL: "http://x/: connection refused"
  HttpResponse response;
  bool ok() const { return error == HttpErrc::none; }
};

class HttpClient {
 public:
  using RequestId = std::uint64_t;
  using Done = std::function<void(HttpResult)>;
  virtual ~HttpClient() = default;  // cancels every request; no `done` runs after it returns
  // Starts `request`; thread-safe. A request that cannot even start (bad URL) also answers through
  // `done`, on the client's thread.
  virtual RequestId start(HttpRequest request, Done done) = 0;
  // Drops a request; its `done` will not be called once this returns. Unknown ids are ignored.
  virtual void cancel(RequestId id) = 0;
};

// The host's client (libcurl, linux/curl_http_client.cc); its thread starts now. libcurl lives in the
// module phantom-http-curl.so beside the executable, loaded by the first call (linux/plugin_loader.h);
// when it cannot be loaded, the client answers every request with HttpErrc::failed and a message naming
// the file and the directories searched ("URL: no HTTP client: cannot load phantom-http-curl.so ...").
std::unique_ptr<HttpClient> start_http_client();

// The factory phantom-http-curl.so exports, found by dlsym under this plain (extern "C") name. C++ types
// cross it, which holds because the module is built in the same build, by the same compiler, as the
// executable; the _v1 becomes _v2 when this signature or a type behind it changes incompatibly.
extern "C" [[gnu::visibility("default")]] HttpClient* phantom_http_curl_start_v1();

}  // namespace phantom::host
