// HttpRequestParser (connections layer): see http_request_parser.h.
#include "connections/http_request_parser.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

namespace phantom::connections {
namespace {

constexpr std::size_t max_chunk_line = 1024;  // a hex size and extensions; no client needs more

// RFC 9110 §5.6.2 tchar.
bool is_token_char(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return is_token_char(static_cast<unsigned char>(c)); });
}

// Field values: visible ASCII, space, tab and obs-text (>= 0x80); no other control character.
bool is_field_value(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c == '\t' || (c >= 0x20 && c != 0x7f);
  });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return (x | 0x20) == (y | 0x20); });
}

// Whether the comma-separated list `value` has `token` (case-insensitive), as in Connection.
bool has_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    std::size_t comma = value.find(',');
    if (iequals(trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

const std::string* HttpRequest::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers)
    if (name == lower_name) return &value;
  return nullptr;
}

bool HttpRequestParser::fail(int status, std::string message) {
  state_ = State::error;
  error_status_ = status;
  error_message_ = std::move(message);
  return false;
}

std::size_t HttpRequestParser::feed(std::string_view data) {
  std::size_t used = 0;
  while (state_ == State::need_more && used < data.size()) {
    std::string_view rest = data.substr(used);
    if (phase_ == Phase::body || phase_ == Phase::chunk_data) {
      std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, rest.size()));
      request_.body.append(rest.data(), n);
      used += n;
      remaining_ -= n;
      if (remaining_ == 0) {
        if (phase_ == Phase::body) finish();
        else phase_ = Phase::chunk_data_end;
      }
      continue;
    }
    // A line-oriented phase: gather up to the next LF, within the phase's limit.
    std::size_t lf = rest.find('\n');
    std::size_t take = lf == std::string_view::npos ? rest.size() : lf;
    std::size_t limit = phase_ == Phase::request_line ? limits_.max_request_line
                        : phase_ == Phase::chunk_size || phase_ == Phase::chunk_data_end ? max_chunk_line
                                                                                         : limits_.max_header_bytes;
    // Only the bytes within the limit, so that the verdict does not depend on how the bytes arrived.
    if (phase_ == Phase::request_line && !early_method_check(rest.substr(0, std::min(take, limit - line_.size()))))
      return used;
    std::size_t so_far = line_.size() + take + (phase_ == Phase::headers || phase_ == Phase::trailers ? head_bytes_ : 0);
    if (so_far > limit) {
      if (phase_ == Phase::request_line) fail(414, fmt::format("the request line is longer than {} bytes", limit));
      else if (phase_ == Phase::headers || phase_ == Phase::trailers)
        fail(431, fmt::format("the header section is larger than {} bytes", limit));
      else fail(400, fmt::format("a chunk size line is longer than {} bytes", limit));
      return used;
    }
    line_.append(rest.data(), take);
    used += take;
    if (lf == std::string_view::npos) break;
    ++used;  // the LF
    std::string line = std::exchange(line_, {});
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find('\r') != std::string::npos) {
      fail(400, "a bare CR inside a line");
      return used;
    }
    bool ok = true;
    switch (phase_) {
      case Phase::request_line:
        // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request line.
        if (line.empty() && head_bytes_ == 0) {
          head_bytes_ = 1;
          break;
        }
        if (line.empty()) {
          fail(400, "empty lines before the request line");
          return used;
        }
        head_bytes_ = line.size() + 2;
        ok = on_request_line(line);
        break;
      case Phase::headers:
        head_bytes_ += line.size() + 2;
        ok = line.empty() ? on_headers_done() : on_header_line(line);
        break;
      case Phase::chunk_size: ok = on_chunk_size_line(line); break;
      case Phase::chunk_data_end:
        if (!line.empty()) {
          fail(400, "chunk data longer than its size");
          return used;
        }
        phase_ = Phase::chunk_size;
        break;
      case Phase::trailers:
        head_bytes_ += line.size() + 2;
        ok = on_trailer_line(line);
        break;
      default: break;
    }
    if (!ok) return used;
  }
  return used;
}

// Garbage (a TLS handshake, a binary protocol) is refused at its first byte that cannot start a
// request line, not after max_request_line bytes of waiting for a line end.
bool HttpRequestParser::early_method_check(std::string_view bytes) {
  if (line_.find(' ') != std::string::npos) return true;
  for (char c : bytes) {
    if (c == ' ') return true;
    if (c != '\r' && !is_token_char(static_cast<unsigned char>(c)))
      return fail(400, "this is not an HTTP request (the method is not a token)");
  }
  return true;
}

bool HttpRequestParser::on_request_line(std::string_view line) {
  std::size_t sp1 = line.find(' ');
  std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
    return fail(400, "the request line is not METHOD SP TARGET SP VERSION");
  std::string_view method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method)) return fail(400, "the method is not a token");
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' || version[5] < '0' ||
      version[5] > '9' || version[7] < '0' || version[7] > '9')
    return fail(400, "the version is not HTTP/x.y");
  if (version[5] != '1' || (version[7] != '0' && version[7] != '1'))
    return fail(505, fmt::format("{} is not supported (HTTP/1.0 and HTTP/1.1 are)", version));
  if (target.empty() || !std::all_of(target.begin(), target.end(), [](char c) { return c > 0x20 && c < 0x7f; }))
    return fail(400, "the target is empty or has a character that is not visible ASCII");
  if (method == "CONNECT") return fail(501, "CONNECT is not implemented (this is not a proxy)");
  request_.method = std::string(method);
  request_.target = std::string(target);
  request_.version_minor = version[7] - '0';
  std::string_view path = target;
  if (path.substr(0, 7) == "http://" || path.substr(0, 8) == "https://") {
    // absolute-form (RFC 9112 §3.2.2): the path starts after the authority.
    std::size_t start = path.find("//") + 2;
    std::size_t slash = path.find_first_of("/?", start);
    path = slash == std::string_view::npos ? std::string_view("/") : path.substr(slash);
  } else if (path != "*" && path.front() != '/') {
    return fail(400, "the target is neither a path (/...), an absolute URL nor *");
  }
  if (path.find('#') != std::string_view::npos) return fail(400, "the target has a fragment (#)");
  std::size_t q = path.find('?');
  request_.path = std::string(path.substr(0, q));
  if (request_.path.empty()) request_.path = "/";
  request_.query = q == std::string_view::npos ? std::string() : std::string(path.substr(q + 1));
  phase_ = Phase::headers;
  return true;
}

bool HttpRequestParser::on_header_line(std::string_view line) {
  if (line.front() == ' ' || line.front() == '\t')
    return fail(400, "a folded header line (obs-fold is not accepted)");
  if (++fields_ > limits_.max_headers) return fail(431, fmt::format("more than {} header fields", limits_.max_headers));
  std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return fail(400, fmt::format("header field {}: no colon", fields_));
  std::string_view name = line.substr(0, colon), value = trim(line.substr(colon + 1));
  if (!is_token(name)) return fail(400, fmt::format("header field {}: the name is not a token", fields_));
  if (!is_field_value(value)) return fail(400, fmt::format("header field {}: a control character in the value", fields_));
  request_.headers.emplace_back(lower(name), std::string(value));
  return true;
}

bool HttpRequestParser::on_headers_done() {
  HttpRequest& r = request_;
  const std::string* length = nullptr;
  const std::string* coding = nullptr;
  bool has_host = false;
  for (const auto& [name, value] : r.headers) {
    if (name == "content-length") {
      // Repeated lengths are accepted only when equal (RFC 9112 §6.3); anything else smells of smuggling.
      if (length && *length != value) return fail(400, "two different Content-Length fields");
      length = &value;
    } else if (name == "transfer-encoding") {
      if (coding) return fail(501, "more than one Transfer-Encoding field");
      coding = &value;
    } else if (name == "host") {
      if (has_host) return fail(400, "more than one Host field");
      has_host = true;
    }
  }
  if (r.version_minor == 1 && !has_host) return fail(400, "an HTTP/1.1 request without a Host field");
  const std::string* connection = r.header("connection");
  r.keep_alive = r.version_minor == 1 ? !(connection && has_token(*connection, "close"))
                                      : connection && has_token(*connection, "keep-alive");
  if (coding && length) return fail(400, "both Content-Length and Transfer-Encoding");
  if (coding) {
    if (r.version_minor == 0) return fail(400, "Transfer-Encoding in an HTTP/1.0 request");
    if (!iequals(*coding, "chunked"))
      return fail(501, fmt::format("Transfer-Encoding '{}' is not implemented (only chunked is)", coding->substr(0, 64)));
    chunked_ = true;
  } else if (length) {
    const std::string& v = *length;
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (v.empty() || ec != std::errc() || end != v.data() + v.size())
      return fail(400, fmt::format("Content-Length '{}' is not a number", v.substr(0, 64)));
    if (n > limits_.max_body) return fail(413, fmt::format("a body of {} bytes (the limit is {})", n, limits_.max_body));
    remaining_ = n;
  }
  if (const std::string* expect = r.header("expect")) {
    if (!iequals(*expect, "100-continue")) return fail(417, "Expect other than 100-continue");
    continue_wanted_ = r.version_minor == 1 && (chunked_ || remaining_ > 0);
  }
  if (chunked_) {
    phase_ = Phase::chunk_size;
  } else if (remaining_ > 0) {
    r.body.reserve(static_cast<std::size_t>(remaining_));
    phase_ = Phase::body;
  } else {
    finish();
  }
  return true;
}

bool HttpRequestParser::on_chunk_size_line(std::string_view line) {
  std::string_view size = trim(line.substr(0, line.find(';')));  // chunk extensions are ignored
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(size.data(), size.data() + size.size(), n, 16);
  if (size.empty() || size.size() > 16 || ec != std::errc() || end != size.data() + size.size())
    return fail(400, "a chunk size that is not a hex number");
  if (n > limits_.max_body || request_.body.size() + n > limits_.max_body)
    return fail(413, fmt::format("a chunked body of more than {} bytes", limits_.max_body));
  if (n == 0) {
    phase_ = Phase::trailers;
    return true;
  }
  remaining_ = n;
  phase_ = Phase::chunk_data;
  return true;
}

bool HttpRequestParser::on_trailer_line(std::string_view line) {
  if (line.empty()) {
    finish();
    return true;
  }
  if (++fields_ > limits_.max_headers) return fail(431, fmt::format("more than {} header and trailer fields", limits_.max_headers));
  std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || !is_token(line.substr(0, colon)) || !is_field_value(line.substr(colon + 1)))
    return fail(400, "a malformed trailer field");
  return true;  // trailers are read and dropped: nothing here may change the request's meaning
}

void HttpRequestParser::finish() {
  state_ = State::complete;
  phase_ = Phase::request_line;
}

HttpRequest HttpRequestParser::take() {
  HttpRequest out = std::move(request_);
  request_ = HttpRequest();
  state_ = State::need_more;
  phase_ = Phase::request_line;
  line_.clear();
  head_bytes_ = fields_ = 0;
  remaining_ = 0;
  chunked_ = continue_wanted_ = false;
  return out;
}

std::string_view http_reason(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

}  // namespace phantom::connections
