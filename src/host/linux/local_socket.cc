// Local sockets on Linux: Unix-domain stream sockets, SO_PEERCRED for the peer's identity (host layer).
// May call: Linux only.
#include "host/local_socket.h"

#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace phantom::host {
namespace {

Result<sockaddr_un> socket_address(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof address.sun_path)
    return make_error(Errc::invalid_argument, "{}: a socket path must be 1 to {} bytes long (choose a shorter one with --control)",
                      path, sizeof address.sun_path - 1);
  std::memcpy(address.sun_path, path.data(), path.size());
  return address;
}

// Waits until `fd` is ready for `events`; false on a timeout. -1 waits without a limit.
bool wait_for(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  for (;;) {
    int n = ::poll(&p, 1, timeout_ms);
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return true;  // let the following call report the error
  }
}

int remaining_ms(std::chrono::steady_clock::time_point deadline, int timeout_ms) {
  if (timeout_ms < 0) return -1;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

}  // namespace

std::uint32_t current_uid() { return ::getuid(); }

std::string user_name(std::uint32_t uid) {
  passwd entry{}, *found = nullptr;
  char text[1024];
  if (::getpwuid_r(uid, &entry, text, sizeof text, &found) == 0 && found) return found->pw_name;
  return std::to_string(uid);
}

// ---- LocalStream ----

LocalStream::LocalStream(LocalStream&& other) noexcept : fd_(other.fd_), buffer_(std::move(other.buffer_)) { other.fd_ = -1; }

LocalStream& LocalStream::operator=(LocalStream&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    buffer_ = std::move(other.buffer_);
    other.fd_ = -1;
  }
  return *this;
}

LocalStream::~LocalStream() {
  if (fd_ >= 0) ::close(fd_);
}

Status LocalStream::write_all(std::string_view bytes, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms);
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      int left = remaining_ms(deadline, timeout_ms);
      if (left == 0 || !wait_for(fd_, POLLOUT, left))
        return make_error(Errc::busy, "the peer did not read for {} ms", timeout_ms);
      continue;
    }
    return make_error(Errc::io, "cannot send: {}", std::strerror(errno));
  }
  return ok_status();
}

Result<std::string> LocalStream::read_some(int timeout_ms) {
  if (!buffer_.empty()) return std::exchange(buffer_, std::string());
  if (!wait_for(fd_, POLLIN, timeout_ms)) return make_error(Errc::busy, "nothing arrived within {} ms", timeout_ms);
  char chunk[4096];
  for (;;) {
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n >= 0) return std::string(chunk, static_cast<std::size_t>(n));
    if (errno == EINTR) continue;
    if (errno == ECONNRESET) return std::string();
    return make_error(Errc::io, "cannot receive: {}", std::strerror(errno));
  }
}

Result<std::optional<std::string>> LocalStream::read_line(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms);
  for (;;) {
    if (auto end = buffer_.find('\n'); end != std::string::npos) {
      std::string line = buffer_.substr(0, end);
      buffer_.erase(0, end + 1);
      return std::optional<std::string>(std::move(line));
    }
    if (!wait_for(fd_, POLLIN, remaining_ms(deadline, timeout_ms)))
      return make_error(Errc::busy, "no answer within {} ms", timeout_ms);
    char chunk[4096];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != ECONNRESET) return make_error(Errc::io, "cannot receive: {}", std::strerror(errno));
    if (n <= 0) {
      if (buffer_.empty()) return std::optional<std::string>();
      return std::optional<std::string>(std::exchange(buffer_, std::string()));
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

PeerCredentials LocalStream::peer() const {
  ucred credentials{};
  socklen_t size = sizeof credentials;
  // Without an answer the peer counts as nobody in particular: uid -1 matches no server.
  if (::getsockopt(fd_, SOL_SOCKET, SO_PEERCRED, &credentials, &size) != 0) return {~0u, ~0u, 0};
  return {credentials.uid, credentials.gid, credentials.pid};
}

void LocalStream::shut_down() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

// ---- LocalListener ----

Result<LocalListener> LocalListener::listen(const std::string& path) {
  PHANTOM_ASSIGN(sockaddr_un address, socket_address(path));
  struct stat info {};
  if (::lstat(path.c_str(), &info) == 0) {
    if (!S_ISSOCK(info.st_mode))
      return make_error(Errc::exists, "{}: exists and is not a socket; will not replace it", path);
    auto live = connect_local(path);
    if (live.ok()) return make_error(Errc::busy, "{}: a running world already answers on this control socket", path);
    // Left by a process that died without removing it (kill -9): nobody accepts, so it is replaced.
    ::unlink(path.c_str());
  }
  LocalListener listener;
  listener.fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listener.fd_ < 0) return make_error(Errc::io, "{}: cannot create a socket: {}", path, std::strerror(errno));
  // Created with mode 0600 from the start, not chmod-ed after bind: no moment when others may connect.
  mode_t old_mask = ::umask(0177);
  int bound = ::bind(listener.fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
  int bind_errno = errno;
  ::umask(old_mask);
  if (bound != 0) return make_error(bind_errno == EADDRINUSE ? Errc::busy : Errc::io, "{}: cannot bind: {}", path, std::strerror(bind_errno));
  listener.path_ = path;
  if (::listen(listener.fd_, 16) != 0) return make_error(Errc::io, "{}: cannot listen: {}", path, std::strerror(errno));
  if (::pipe2(listener.wake_, O_CLOEXEC | O_NONBLOCK) != 0)
    return make_error(Errc::io, "{}: cannot create a pipe: {}", path, std::strerror(errno));
  return listener;
}

LocalListener::LocalListener(LocalListener&& other) noexcept
    : fd_(other.fd_), wake_{other.wake_[0], other.wake_[1]}, path_(std::move(other.path_)) {
  other.fd_ = other.wake_[0] = other.wake_[1] = -1;
  other.path_.clear();
}

LocalListener& LocalListener::operator=(LocalListener&& other) noexcept {
  if (this != &other) {
    this->~LocalListener();
    new (this) LocalListener(std::move(other));
  }
  return *this;
}

LocalListener::~LocalListener() {
  if (fd_ >= 0) {
    ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  for (int& end : wake_)
    if (end >= 0) ::close(end);
}

Result<std::optional<LocalStream>> LocalListener::accept() {
  for (;;) {
    pollfd p[2] = {{fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return make_error(Errc::io, "{}: cannot wait for connections: {}", path_, std::strerror(errno));
    }
    if (p[1].revents) return std::optional<LocalStream>();
    int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client >= 0) return std::optional<LocalStream>(LocalStream(client));
    if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN) continue;
    return make_error(Errc::io, "{}: cannot accept: {}", path_, std::strerror(errno));
  }
}

void LocalListener::close() {
  if (wake_[1] >= 0) (void)!::write(wake_[1], "x", 1);
}

Result<LocalStream> connect_local(const std::string& path) {
  PHANTOM_ASSIGN(sockaddr_un address, socket_address(path));
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error(Errc::io, "{}: cannot create a socket: {}", path, std::strerror(errno));
  LocalStream stream(fd);  // closes the descriptor on every early return
  while (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    if (errno == EINTR) continue;
    if (errno == ENOENT) return make_error(Errc::not_found, "{}: no control socket (is the world running?)", path);
    if (errno == ECONNREFUSED) return make_error(Errc::busy, "{}: nobody answers (the world is not running)", path);
    if (errno == EACCES) return make_error(Errc::busy, "{}: permission denied (the world runs as another user)", path);
    return make_error(Errc::io, "{}: cannot connect: {}", path, std::strerror(errno));
  }
  return stream;
}

}  // namespace phantom::host
