// Service on Linux: fork and setsid for daemon mode, sd_notify from libsystemd (host layer).
// May call: Linux and libsystemd only.
#include "host/service.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace phantom::host {

void notify_service_manager(std::string_view state) { ::sd_notify(0, std::string(state).c_str()); }

Result<Daemon> Daemon::detach(const std::string& log_path) {
  int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log < 0) return make_error(Errc::io, "{}: cannot open the log: {}", log_path, std::strerror(errno));
  struct stat info {};
  ::fstat(log, &info);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    ::close(log);
    return make_error(Errc::io, "cannot create a pipe: {}", std::strerror(errno));
  }
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log);
    ::close(fds[0]);
    ::close(fds[1]);
    return make_error(Errc::io, "cannot fork: {}", std::strerror(errno));
  }
  Daemon daemon;
  daemon.child_pid_ = pid;
  daemon.log_start_ = info.st_size;
  daemon.log_path_ = log_path;
  if (pid == 0) {
    ::setsid();  // no controlling terminal: closing the shell that started it does not hang it up
    int null = ::open("/dev/null", O_RDONLY);
    ::dup2(null, 0);
    ::close(null);
    ::dup2(log, 1);
    ::dup2(log, 2);
    ::close(log);
    ::close(fds[0]);
    daemon.pipe_fd_ = fds[1];
    return daemon;
  }
  ::close(log);
  ::close(fds[1]);
  daemon.pipe_fd_ = fds[0];
  return daemon;
}

Daemon::Daemon(Daemon&& other) noexcept
    : child_pid_(other.child_pid_), pipe_fd_(other.pipe_fd_), log_start_(other.log_start_), log_path_(std::move(other.log_path_)) {
  other.pipe_fd_ = -1;
}

Daemon::~Daemon() {
  if (pipe_fd_ >= 0) ::close(pipe_fd_);
}

void Daemon::ready() {
  if (!child() || pipe_fd_ < 0) return;
  (void)!::write(pipe_fd_, "ready\n", 6);
  ::close(pipe_fd_);
  pipe_fd_ = -1;
}

Status Daemon::wait_ready(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string said;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    pollfd p{pipe_fd_, POLLIN, 0};
    int n = left > 0 ? ::poll(&p, 1, static_cast<int>(left)) : 0;
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return make_error(Errc::busy, "the world did not report ready within {} ms (pid {}; see {})", timeout_ms, child_pid_, log_path_);
    char chunk[64];
    ssize_t got = ::read(pipe_fd_, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got > 0) {
      said.append(chunk, static_cast<std::size_t>(got));
      if (said.find("ready\n") != std::string::npos) return ok_status();
      continue;
    }
    break;  // the child closed the pipe without being ready: it ended
  }
  int status = 0;
  ::waitpid(static_cast<pid_t>(child_pid_), &status, 0);
  std::ifstream in(log_path_);
  in.seekg(log_start_);
  std::stringstream logged;
  logged << in.rdbuf();
  std::string text = logged.str();
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return make_error(Errc::failed_state, "{}", text.empty() ? fmt::format("the world ended before it was ready (exit status {})",
                                                                         WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status))
                                                           : text);
}

std::int64_t process_id() { return ::getpid(); }

}  // namespace phantom::host
