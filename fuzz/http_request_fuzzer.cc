// libFuzzer target: the HTTP/1.1 request parser of `web:` (connections/http_request_parser.h) on
// arbitrary bytes, cut into pieces of sizes taken from the input, as a socket might deliver them.
// Checks that the parser never consumes more than it was given, never loops without progress, keeps
// its limits, and that every completed request is framed the same however the bytes were cut.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "connections/http_request_parser.h"

using phantom::connections::HttpLimits;
using phantom::connections::HttpRequest;
using phantom::connections::HttpRequestParser;

namespace {

// Parses `data` fed in pieces of `piece` bytes (0: all at once); returns the requests, then a final
// entry for the error status (or "ok").
std::vector<std::string> parse(std::string_view data, std::size_t piece, const HttpLimits& limits) {
  std::vector<std::string> out;
  HttpRequestParser p(limits);
  std::string buffer;
  std::size_t at = 0;
  while (true) {
    if (at < data.size()) {
      std::size_t n = piece == 0 ? data.size() - at : std::min(piece, data.size() - at);
      buffer.append(data.substr(at, n));
      at += n;
    } else if (buffer.empty()) {
      break;
    }
    std::size_t used = p.feed(buffer);
    if (used > buffer.size()) std::abort();
    buffer.erase(0, used);
    if (p.state() == HttpRequestParser::State::complete) {
      HttpRequest r = p.take();
      if (r.body.size() > limits.max_body || r.headers.size() > limits.max_headers) std::abort();
      out.push_back(r.method + " " + r.path + "?" + r.query + " " + std::to_string(r.body.size()) + " " +
                    std::to_string(r.keep_alive));
      continue;
    }
    if (p.state() == HttpRequestParser::State::error) {
      if (p.error_status() < 400 || p.error_status() > 599 || p.error_message().empty()) std::abort();
      out.push_back("error " + std::to_string(p.error_status()));
      return out;
    }
    // need_more: everything given must have been taken in.
    if (!buffer.empty()) std::abort();
    if (at >= data.size()) break;
  }
  out.push_back("ok");
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size < 1) return 0;
  std::size_t piece = bytes[0] % 17;  // 0: at once; else 1..16 bytes per read
  std::string_view data(reinterpret_cast<const char*>(bytes) + 1, size - 1);
  HttpLimits small{.max_request_line = 256, .max_header_bytes = 1024, .max_headers = 16, .max_body = 4096};
  auto whole = parse(data, 0, small);
  auto cut = parse(data, piece == 0 ? 1 : piece, small);
  if (whole != cut) std::abort();  // framing must not depend on how the bytes arrived
  return 0;
}
