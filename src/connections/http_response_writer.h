// http_response_bytes: an HTTP/1.1 response as the bytes a `web:` server sends (connections layer).
// The world gives a status, header fields and a body; the host adds the framing (Content-Length,
// Connection) so that a program can never send a response the client would mis-frame, and refuses
// field names and values that would inject lines (CR, LF) into the head.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/result.h"

namespace phantom::connections {

struct HttpResponseSpec {
  int status = 200;  // 100..599 (1xx and 101 are refused: the host does not switch protocols)
  std::vector<std::pair<std::string, std::string>> headers;  // Content-Length, Transfer-Encoding and
                                                              // Connection are the host's and refused
  std::string_view body;
  bool keep_alive = true;   // false: "Connection: close", and the connection closes after it
  bool head_only = false;   // the answer to a HEAD request: the head says the length, no body follows
};

// The response's bytes, or an invalid_argument error naming the bad field.
Result<std::string> http_response_bytes(const HttpResponseSpec& spec);

// A short error response the host sends by itself (a request the parser refused, a server over its
// connection limit): text/plain body `message`, and `Connection: close`.
std::string http_error_bytes(int status, std::string_view message);

}  // namespace phantom::connections
