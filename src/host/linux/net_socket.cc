// Network sockets on Linux (host layer, Linux): non-blocking TCP and UDP sockets over IPv4 and IPv6,
// numeric address parsing, and blocking name resolution (getaddrinfo) for callers that are not the
// executor. See host/net.h.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "host/net.h"

namespace phantom::host {
namespace {

// strerror, lower case ("Connection refused" -> "connection refused"), as error messages read.
std::string reason(int err) {
  std::string text = std::strerror(err);
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

Errc errc_of(int err) {
  switch (err) {
    case EACCES: case EPERM: return Errc::denied;
    case EADDRINUSE: return Errc::busy;
    case EADDRNOTAVAIL: case EINVAL: case EAFNOSUPPORT: return Errc::invalid_argument;
    case ENOBUFS: case ENOMEM: case EMFILE: case ENFILE: return Errc::no_space;
    default: return Errc::io;
  }
}

socklen_t to_sockaddr(const NetAddress& a, sockaddr_storage& out) {
  std::memset(&out, 0, sizeof out);
  if (a.family == NetAddress::ipv4) {
    auto* s = reinterpret_cast<sockaddr_in*>(&out);
    s->sin_family = AF_INET;
    s->sin_port = htons(a.port);
    std::memcpy(&s->sin_addr, a.bytes.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* s = reinterpret_cast<sockaddr_in6*>(&out);
  s->sin6_family = AF_INET6;
  s->sin6_port = htons(a.port);
  std::memcpy(&s->sin6_addr, a.bytes.data(), 16);
  return sizeof(sockaddr_in6);
}

NetAddress from_sockaddr(const sockaddr_storage& in) {
  NetAddress a;
  if (in.ss_family == AF_INET) {
    auto* s = reinterpret_cast<const sockaddr_in*>(&in);
    a.family = NetAddress::ipv4;
    a.port = ntohs(s->sin_port);
    std::memcpy(a.bytes.data(), &s->sin_addr, 4);
  } else if (in.ss_family == AF_INET6) {
    auto* s = reinterpret_cast<const sockaddr_in6*>(&in);
    a.family = NetAddress::ipv6;
    a.port = ntohs(s->sin6_port);
    std::memcpy(a.bytes.data(), &s->sin6_addr, 16);
  }
  return a;
}

IoResult io_failed(int err) {
  if (err == EAGAIN || err == EWOULDBLOCK) return {IoResult::would_block, 0, {}};
  if (err == EPIPE || err == ECONNRESET) return {IoResult::failed, 0, "connection reset by peer"};
  return {IoResult::failed, 0, reason(err)};
}

class LinuxSocket final : public Socket {
 public:
  explicit LinuxSocket(int fd) : fd_(fd) {}
  ~LinuxSocket() override { ::close(fd_); }
  LinuxSocket(const LinuxSocket&) = delete;
  LinuxSocket& operator=(const LinuxSocket&) = delete;

  int handle() const override { return fd_; }
  NetAddress local_address() const override {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getsockname(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
    return from_sockaddr(ss);
  }
  NetAddress peer_address() const override {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
    return from_sockaddr(ss);
  }

  Result<bool> finish_connect() override {
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) return Error{errc_of(err), reason(err)};
    // No error yet is not "connected": an event meant for an earlier socket with this descriptor
    // number can come while the handshake is still under way.
    sockaddr_storage ss{};
    socklen_t ss_len = sizeof ss;
    if (::getpeername(fd_, reinterpret_cast<sockaddr*>(&ss), &ss_len) == 0) return true;
    if (errno == ENOTCONN) return false;
    return Error{errc_of(errno), reason(errno)};
  }
  IoResult read(std::span<char> out) override {
    for (;;) {
      ssize_t n = ::recv(fd_, out.data(), out.size(), 0);
      if (n > 0) return {IoResult::done, static_cast<std::size_t>(n), {}};
      if (n == 0) return {IoResult::closed, 0, {}};
      if (errno != EINTR) return io_failed(errno);
    }
  }
  IoResult write(std::span<const char> bytes) override {
    for (;;) {
      // MSG_NOSIGNAL: a peer that went away is an error result, not a SIGPIPE for the whole world.
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n >= 0) return {IoResult::done, static_cast<std::size_t>(n), {}};
      if (errno != EINTR) return io_failed(errno);
    }
  }
  void shutdown_write() override { ::shutdown(fd_, SHUT_WR); }
  Result<std::unique_ptr<Socket>> accept() override {
    for (;;) {
      int fd = ::accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        return std::unique_ptr<Socket>(std::make_unique<LinuxSocket>(fd));
      }
      // A connection reset before we took it is skipped: more may wait behind it, and the listener is
      // watched edge-triggered, so stopping here would leave them until the next connection comes.
      if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return std::unique_ptr<Socket>();
      return Error{errc_of(errno), "accept: " + reason(errno)};
    }
  }

  IoResult send_to(const NetAddress& to, std::span<const char> bytes) override {
    sockaddr_storage ss;
    socklen_t len = to_sockaddr(to, ss);
    for (;;) {
      ssize_t n = ::sendto(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&ss), len);
      if (n >= 0) return {IoResult::done, static_cast<std::size_t>(n), {}};
      if (errno != EINTR) return io_failed(errno);
    }
  }
  IoResult receive_from(std::span<char> out, NetAddress& from) override {
    sockaddr_storage ss{};
    for (;;) {
      socklen_t len = sizeof ss;
      // A datagram of 0 bytes is a datagram, not an end of stream: `done` with 0 bytes.
      ssize_t n = ::recvfrom(fd_, out.data(), out.size(), MSG_TRUNC, reinterpret_cast<sockaddr*>(&ss), &len);
      if (n >= 0) {
        from = from_sockaddr(ss);
        if (static_cast<std::size_t>(n) > out.size()) return {IoResult::failed, out.size(), "datagram larger than the buffer"};
        return {IoResult::done, static_cast<std::size_t>(n), {}};
      }
      if (errno != EINTR) return io_failed(errno);
    }
  }

 private:
  int fd_;
};

// A world may hold 4,096 TCP connections and more descriptors for files: the soft limit on open
// descriptors (often 1,024) is raised to the hard one, once, before the first socket.
void raise_descriptor_limit() {
  static const bool raised = [] {
    rlimit r{};
    if (::getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur >= r.rlim_max) return false;
    r.rlim_cur = r.rlim_max;
    return ::setrlimit(RLIMIT_NOFILE, &r) == 0;
  }();
  (void)raised;
}

Result<int> new_socket(const NetAddress& a, int type) {
  raise_descriptor_limit();
  int fd = ::socket(a.family == NetAddress::ipv4 ? AF_INET : AF_INET6, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error{errc_of(errno), "socket: " + reason(errno)};
  if (a.family == NetAddress::ipv6) {
    int one = 1;  // [::]:P means IPv6 only; 0.0.0.0:P is separate (both can be bound)
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  }
  return fd;
}

Status bind_to(int fd, const NetAddress& at) {
  sockaddr_storage ss;
  socklen_t len = to_sockaddr(at, ss);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) == 0) return ok_status();
  int err = errno;
  return Error{errc_of(err), fmt::format("bind {}: {}", at.to_string(), reason(err))};
}

}  // namespace

bool split_host_port(std::string_view text, std::string& host, std::uint16_t& port) {
  std::size_t colon;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') return false;
    host = std::string(text.substr(1, close - 1));
    colon = close + 1;
  } else {
    colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    host = std::string(text.substr(0, colon));
    if (host.find(':') != std::string::npos) return false;  // IPv6 needs brackets
  }
  std::string_view p = text.substr(colon + 1);
  if (p.empty() || p.size() > 5) return false;
  unsigned value = 0;
  for (char ch : p) {
    if (ch < '0' || ch > '9') return false;
    value = value * 10 + static_cast<unsigned>(ch - '0');
  }
  if (value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return !host.empty();
}

Result<NetAddress> NetAddress::parse(std::string_view text) {
  std::string host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return make_error(Errc::invalid_argument, "'{}': an IPv6 address is written [ADDR]:PORT", text);
    host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return make_error(Errc::invalid_argument, "'{}': no port (ADDR:PORT)", text);
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  if (port_text.empty() || port_text.size() > 5) return make_error(Errc::invalid_argument, "'{}': bad port", text);
  for (char c : port_text) {
    if (c < '0' || c > '9') return make_error(Errc::invalid_argument, "'{}': bad port", text);
    port = port * 10 + static_cast<unsigned>(c - '0');
  }
  if (port > 65535) return make_error(Errc::invalid_argument, "'{}': port above 65535", text);
  if (host.find('\0') != std::string::npos)
    return make_error(Errc::invalid_argument, "'{}': not a numeric IPv4 or IPv6 address", text.substr(0, 64));
  NetAddress a;
  a.port = static_cast<std::uint16_t>(port);
  if (::inet_pton(AF_INET, host.c_str(), a.bytes.data()) == 1) {
    a.family = ipv4;
    return a;
  }
  if (::inet_pton(AF_INET6, host.c_str(), a.bytes.data()) == 1) {
    a.family = ipv6;
    return a;
  }
  return make_error(Errc::invalid_argument, "'{}': not a numeric IPv4 or IPv6 address", text);
}

std::string NetAddress::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(family == ipv4 ? AF_INET : AF_INET6, bytes.data(), text, sizeof text);
  return family == ipv4 ? fmt::format("{}:{}", text, port) : fmt::format("[{}]:{}", text, port);
}

bool NetAddress::is_loopback() const {
  if (family == ipv4) return bytes[0] == 127;
  static constexpr std::array<std::uint8_t, 16> v6_loopback{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  return bytes == v6_loopback;
}

bool NetAddress::is_any() const {
  std::size_t n = family == ipv4 ? 4 : 16;
  for (std::size_t i = 0; i < n; ++i)
    if (bytes[i] != 0) return false;
  return true;
}

Result<std::vector<NetAddress>> resolve(const std::string& host, std::uint16_t port) {
  bool plausible = !host.empty() && host.size() <= 253;
  for (char c : host) plausible = plausible && static_cast<unsigned char>(c) > 0x20 && c != 0x7f;
  if (!plausible) return make_error(Errc::invalid_argument, "'{}': not a host name", host.substr(0, 64));
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;  // one entry per address (not one per socket type)
  hints.ai_flags = AI_ADDRCONFIG;
  addrinfo* list = nullptr;
  int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &list);
  if (rc == EAI_ADDRFAMILY || rc == EAI_NONAME) {
    // AI_ADDRCONFIG hides ::1 on a machine whose only IPv6 address is loopback: ask once more without it.
    hints.ai_flags = 0;
    rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &list);
  }
  if (rc != 0) {
    Errc code = rc == EAI_NONAME || rc == EAI_NODATA ? Errc::not_found : Errc::io;
    return make_error(code, "{}: name not resolved: {}", host, rc == EAI_SYSTEM ? reason(errno) : ::gai_strerror(rc));
  }
  std::vector<NetAddress> out;
  for (addrinfo* ai = list; ai; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    sockaddr_storage ss{};
    std::memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
    NetAddress a = from_sockaddr(ss);
    a.port = port;
    bool seen = false;
    for (const auto& b : out) seen = seen || b == a;
    if (!seen) out.push_back(a);
  }
  ::freeaddrinfo(list);
  if (out.empty()) return make_error(Errc::not_found, "{}: name has no IPv4 or IPv6 address", host);
  return out;
}

Result<std::unique_ptr<Socket>> connect_stream(const NetAddress& to) {
  PHANTOM_ASSIGN(int fd, new_socket(to, SOCK_STREAM));
  auto socket = std::make_unique<LinuxSocket>(fd);
  int one = 1;  // small requests and answers go out at once; sends are batched by the caller
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_storage ss;
  socklen_t len = to_sockaddr(to, ss);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 && errno != EINPROGRESS) {
    int err = errno;
    return Error{errc_of(err), reason(err)};
  }
  return std::unique_ptr<Socket>(std::move(socket));
}

Result<std::unique_ptr<Socket>> listen_stream(const NetAddress& at, int backlog) {
  PHANTOM_ASSIGN(int fd, new_socket(at, SOCK_STREAM));
  auto socket = std::make_unique<LinuxSocket>(fd);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  PHANTOM_TRY(bind_to(fd, at));
  if (::listen(fd, backlog) != 0) {
    int err = errno;
    return Error{errc_of(err), fmt::format("listen {}: {}", at.to_string(), reason(err))};
  }
  return std::unique_ptr<Socket>(std::move(socket));
}

Result<std::unique_ptr<Socket>> open_datagram(const NetAddress& at) {
  PHANTOM_ASSIGN(int fd, new_socket(at, SOCK_DGRAM));
  auto socket = std::make_unique<LinuxSocket>(fd);
  PHANTOM_TRY(bind_to(fd, at));
  return std::unique_ptr<Socket>(std::move(socket));
}

}  // namespace phantom::host
