// OutputRelay on Linux (host layer, Linux): see host/output_relay.h. The child is forked without
// exec, so it uses only async-signal-safe calls (read, write, pwrite, _exit) and no allocation.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "host/output_relay.h"

namespace phantom::host {
namespace {

struct PieceHeader {
  std::uint64_t seq;
  std::uint32_t length;
  std::uint32_t magic;
};
constexpr std::uint32_t piece_magic = 0x52454c59;  // "RELY"

bool read_all(int fd, char* p, std::size_t n) {
  while (n > 0) {
    ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

bool write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    ssize_t r = ::write(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

char relay_buffer[OutputRelay::max_piece];  // the child's; untouched (so unshared) in the parent

[[noreturn]] void relay_main(int in, int cursor) {
  // Ctrl-C reaches the whole process group: the relay ends with the pipe, not with the signal.
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGTERM, SIG_IGN);
  ::signal(SIGHUP, SIG_IGN);
  for (;;) {
    PieceHeader h;
    if (!read_all(in, reinterpret_cast<char*>(&h), sizeof h) || h.magic != piece_magic || h.length > sizeof relay_buffer)
      ::_exit(0);
    if (!read_all(in, relay_buffer, h.length)) ::_exit(0);  // the world died mid-piece: it sends it again
    if (!write_all(1, relay_buffer, h.length)) ::_exit(1);
    if (h.seq != 0 && ::pwrite(cursor, &h.seq, sizeof h.seq, 0) != static_cast<ssize_t>(sizeof h.seq)) ::_exit(1);
  }
}

class LinuxOutputRelay final : public OutputRelay {
 public:
  LinuxOutputRelay(int pipe, int cursor_fd, pid_t pid, std::uint64_t cursor)
      : pipe_(pipe), cursor_fd_(cursor_fd), pid_(pid), cursor_(cursor) {}
  ~LinuxOutputRelay() override {
    ::close(pipe_);
    int status;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    ::close(cursor_fd_);
  }
  std::uint64_t cursor() const override { return cursor_; }
  Status reset_cursor() override {
    std::uint64_t zero = 0;
    if (::pwrite(cursor_fd_, &zero, sizeof zero, 0) != static_cast<ssize_t>(sizeof zero))
      return make_error(Errc::io, "cannot reset the console cursor: {}", std::strerror(errno));
    cursor_ = 0;
    return ok_status();
  }
  Status send(std::uint64_t seq, std::string_view text) override {
    if (text.size() > max_piece) return make_error(Errc::invalid_argument, "console piece of {} bytes", text.size());
    PieceHeader h{seq, static_cast<std::uint32_t>(text.size()), piece_magic};
    if (!write_all(pipe_, reinterpret_cast<const char*>(&h), sizeof h) || !write_all(pipe_, text.data(), text.size()))
      return make_error(Errc::io, "the console relay is gone: {}", std::strerror(errno));
    return ok_status();
  }

 private:
  int pipe_, cursor_fd_;
  pid_t pid_;
  std::uint64_t cursor_;
};

}  // namespace

Result<std::unique_ptr<OutputRelay>> start_output_relay(const std::string& cursor_path, int wait_ms) {
  int fd = ::open(cursor_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return make_error(Errc::io, "cannot open {}: {}", cursor_path, std::strerror(errno));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      ::close(fd);
      return make_error(Errc::io, "cannot lock {}: {}", cursor_path, std::strerror(errno));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      ::close(fd);
      return make_error(Errc::busy, "{}: the console relay of an earlier run still writes after {} ms", cursor_path, wait_ms);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::uint64_t cursor = 0;
  if (::pread(fd, &cursor, sizeof cursor, 0) != static_cast<ssize_t>(sizeof cursor)) cursor = 0;
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) {
    ::close(fd);
    return make_error(Errc::io, "cannot make a pipe: {}", std::strerror(errno));
  }
  ::signal(SIGPIPE, SIG_IGN);  // a dead relay is an error result, not a signal
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fd);
    ::close(p[0]);
    ::close(p[1]);
    return make_error(Errc::io, "cannot fork the console relay: {}", std::strerror(errno));
  }
  if (pid == 0) {
    // Keep stdin/out/err, the pipe (as 3) and the cursor (as 4; it holds the lock); close the rest,
    // so that the relay never holds the world image or its lock.
    int in = ::fcntl(p[0], F_DUPFD, 10), cur = ::fcntl(fd, F_DUPFD, 10);
    if (in < 0 || cur < 0 || ::dup2(in, 3) < 0 || ::dup2(cur, 4) < 0) ::_exit(1);
    ::close_range(5, ~0U, 0);
    relay_main(3, 4);
  }
  ::close(p[0]);
  return std::unique_ptr<OutputRelay>(new LinuxOutputRelay(p[1], fd, pid, cursor));
}

}  // namespace phantom::host
