// http_response_bytes (connections layer): see http_response_writer.h.
#include "connections/http_response_writer.h"

#include <algorithm>

#include "connections/http_request_parser.h"

namespace phantom::connections {
namespace {

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
           std::string_view("!#$%&'*+-.^_`|~").find(ch) != std::string_view::npos;
  });
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return (x | 0x20) == (y | 0x20); });
}

}  // namespace

Result<std::string> http_response_bytes(const HttpResponseSpec& spec) {
  if (spec.status < 200 || spec.status > 599)
    return make_error(Errc::invalid_argument, "status {} is not between 200 and 599", spec.status);
  std::string out;
  out.reserve(128 + spec.body.size());
  out += fmt::format("HTTP/1.1 {} {}\r\n", spec.status, http_reason(spec.status));
  for (const auto& [name, value] : spec.headers) {
    if (!is_token(name)) return make_error(Errc::invalid_argument, "header name '{}' is not a token", name.substr(0, 64));
    if (iequals(name, "content-length") || iequals(name, "transfer-encoding") || iequals(name, "connection"))
      return make_error(Errc::invalid_argument, "header '{}' is set by the server itself", name);
    bool clean = std::all_of(value.begin(), value.end(), [](char ch) {
      auto c = static_cast<unsigned char>(ch);
      return c == '\t' || (c >= 0x20 && c != 0x7f);
    });
    if (!clean) return make_error(Errc::invalid_argument, "header '{}': a control character (CR, LF...) in the value", name);
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  // 204 and 304 carry no body and no length (RFC 9110 §8.6).
  if (spec.status != 204 && spec.status != 304) out += fmt::format("Content-Length: {}\r\n", spec.body.size());
  if (!spec.keep_alive) out += "Connection: close\r\n";
  out += "\r\n";
  if (!spec.head_only && spec.status != 204 && spec.status != 304) out += spec.body;
  return out;
}

std::string http_error_bytes(int status, std::string_view message) {
  std::string body = fmt::format("{} {}: {}\n", status, http_reason(status), message);
  return fmt::format("HTTP/1.1 {} {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n"
                     "Connection: close\r\n\r\n{}",
                     status, http_reason(status), body.size(), body);
}

}  // namespace phantom::connections
