// HttpRequestParser: a strict, incremental HTTP/1.1 request parser (connections layer, for `web:`).
// Pure C++: bytes in, requests out; no sockets, no arena. The host side parses so that the interpreter
// never touches raw bytes (docs/network.md "HTTP server"); we wrote our own because Debian 12 has no
// llhttp and libmicrohttpd owns its sockets and response lifecycle, which fights output commit.
//
// Feed it bytes as they arrive, in pieces of any size. feed() consumes bytes up to the end of one
// request and stops there, so pipelined requests stay in the caller's buffer for the next round:
//
//   need_more --feed--> complete --take()--> need_more (next request)
//       \--feed (bad or too big)--> error (final: answer error_status() with Connection: close)
//
// What it accepts (RFC 9112): a request line `METHOD SP target SP HTTP/1.x`, header fields (no
// obs-fold, no space before the colon), a body framed by Content-Length or `Transfer-Encoding:
// chunked` (with trailers, which are read and dropped). Lines end in CRLF, or LF alone (RFC 9112 §2.2
// allows it); a CR anywhere else is an error. HTTP/1.1 needs a Host field. Keep-alive follows the
// version and the Connection field. Every byte count has a limit; going past one is an error with the
// status that says which (414, 431, 413), never an unbounded buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace phantom::connections {

struct HttpLimits {
  std::size_t max_request_line = 8 * 1024;   // 414 URI Too Long past it
  std::size_t max_header_bytes = 64 * 1024;  // request line + fields (+ trailers): 431 past it
  std::size_t max_headers = 100;             // fields (+ trailers): 431 past it
  std::size_t max_body = 1 << 20;            // decoded body bytes: 413 past it
};

struct HttpRequest {
  std::string method;  // as sent, case-sensitive ("GET")
  std::string target;  // as sent ("/add?n=3")
  std::string path;    // the target up to '?', still percent-encoded ("/add"); absolute-form targets
                       // ("http://host/add") are reduced to their path
  std::string query;   // after '?', without it ("n=3"); empty when none
  int version_minor = 1;  // HTTP/1.0 or HTTP/1.1
  // Field names lower-cased, values with surrounding whitespace removed, in the order received.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;    // decoded (chunked framing removed)
  bool keep_alive = true;  // the connection may carry another request after this one's answer

  // The first value of field `lower_name`, or nullptr.
  const std::string* header(std::string_view lower_name) const;
};

class HttpRequestParser {
 public:
  enum class State { need_more, complete, error };

  explicit HttpRequestParser(HttpLimits limits = {}) : limits_(limits) {}

  // Consumes bytes of `data` up to the end of the current request (or all of it when the request is
  // not complete yet); returns how many it consumed. Consumes nothing once complete or in error.
  std::size_t feed(std::string_view data);
  State state() const { return state_; }
  // Complete: moves the request out and starts on the next one.
  HttpRequest take();
  // Once, after the head of a request that sent `Expect: 100-continue` and has a body to come: the
  // server should send `HTTP/1.1 100 Continue` (curl waits a second for it otherwise).
  bool take_continue_wanted() { return std::exchange(continue_wanted_, false); }
  // Whether bytes of a request have been consumed since the last one completed (a connection closed
  // by its peer in the middle of a request, as opposed to between requests).
  bool mid_request() const { return phase_ != Phase::request_line || !line_.empty(); }

  // Error: the status to answer (400, 413, 414, 431, 501, 505, 417) and why, e.g.
  // "header line 3: no colon".
  int error_status() const { return error_status_; }
  const std::string& error_message() const { return error_message_; }

 private:
  enum class Phase { request_line, headers, body, chunk_size, chunk_data, chunk_data_end, trailers };
  bool fail(int status, std::string message);
  // Each consumes one complete line (without its line ending); false on error.
  bool early_method_check(std::string_view bytes);
  bool on_request_line(std::string_view line);
  bool on_header_line(std::string_view line);
  bool on_headers_done();
  bool on_chunk_size_line(std::string_view line);
  bool on_trailer_line(std::string_view line);
  void finish();

  HttpLimits limits_;
  State state_ = State::need_more;
  Phase phase_ = Phase::request_line;
  HttpRequest request_;
  std::string line_;               // the line being gathered
  std::size_t head_bytes_ = 0;     // request line + fields + trailers so far
  std::size_t fields_ = 0;         // fields + trailers so far
  std::uint64_t remaining_ = 0;    // body or chunk bytes still to come
  bool chunked_ = false;
  bool continue_wanted_ = false;
  int error_status_ = 0;
  std::string error_message_;
};

// The reason phrase of a status ("Not Found"); "Unknown" for one we do not name.
std::string_view http_reason(int status);

}  // namespace phantom::connections
