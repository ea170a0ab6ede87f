// Child processes for the crash tests: start a program with its output on a pipe, read it all after
// the child died (test support).
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace phantom::test {

struct Child {
  pid_t pid = -1;
  int out = -1;  // read end of the child's stdout (and stderr, when merged)
  int in = -1;   // write end of the child's stdin, when asked for
};

// In a forked child: becomes `program` with `args` (args[0] included), or exits 127.
[[noreturn]] inline void exec_in_child(const char* program, const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv(program, argv.data());
  ::_exit(127);
}

// Runs `program` with `args` (args[0] included). With merge_stderr both streams share one pipe, so
// lines arrive in the order they were written.
// With pipe_stdin the child's stdin is a pipe whose write end is Child::in.
inline Child spawn_child(const char* program, const std::vector<std::string>& args, bool merge_stderr,
                         bool pipe_stdin = false) {
  int fds[2], in_fds[2] = {-1, -1};
  if (::pipe(fds) != 0) return {};
  // A world logging every snapshot writes about 250 bytes per commit, and the default 64 KiB pipe
  // fills while a test is busy elsewhere for a few seconds: the world then drops log lines (it never
  // waits for them, docs/persistence.md), and a world printing a lot waits in its own prints. The
  // larger pipe (the default limit of an unprivileged pipe) leaves room; tests still read as they go.
  ::fcntl(fds[0], F_SETPIPE_SZ, 1 << 20);
  if (pipe_stdin && ::pipe(in_fds) != 0) return {};
  pid_t pid = ::fork();
  if (pid == 0) {
    if (pipe_stdin) {
      ::dup2(in_fds[0], 0);
      ::close(in_fds[0]);
      ::close(in_fds[1]);
    }
    ::dup2(fds[1], 1);
    if (merge_stderr) ::dup2(fds[1], 2);
    ::close(fds[0]);
    ::close(fds[1]);
    exec_in_child(program, args);
  }
  ::close(fds[1]);
  if (pipe_stdin) ::close(in_fds[0]);
  return {pid, fds[0], in_fds[1]};
}

// Runs `program` with its stdout on /dev/null and its stderr on a pipe of `pipe_bytes` (Child::out),
// for a test that leaves stderr unread on purpose.
inline Child spawn_child_stderr_only(const char* program, const std::vector<std::string>& args, int pipe_bytes) {
  int fds[2];
  if (::pipe(fds) != 0) return {};
  ::fcntl(fds[0], F_SETPIPE_SZ, pipe_bytes);
  pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(fds[1], 2);
    ::close(fds[0]);
    ::close(fds[1]);
    exec_in_child(program, args);
  }
  ::close(fds[1]);
  return {pid, fds[0]};
}

// Reads everything the child wrote until it closed its end (it is dead, so this ends).
inline std::string drain(int fd) {
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<std::size_t>(n));
  ::close(fd);
  return text;
}

// Appends to `out` what the child has written so far, without waiting; returns false when it has closed
// its end (it ended).
inline bool read_available(int fd, std::string& out) {
  char buffer[16384];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return true;
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) return false;
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

// What `program args...` (args[0] included) prints on stdout when run to its end; its exit status in
// `*exit_code` (-1 when it did not exit normally) if given.
inline std::string output_of(const std::string& program, const std::vector<std::string>& args, int* exit_code = nullptr) {
  Child child = spawn_child(program.c_str(), args, false);
  std::string out = drain(child.out);
  int status = 0;
  ::waitpid(child.pid, &status, 0);
  if (exit_code) *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

// Reads what a running child writes into `out` until `want` appears at or after `from`, the child
// closes its end, or `ms` milliseconds pass. Returns whether `want` appeared. An empty `want` just reads
// for `ms`.
inline bool read_until(int fd, std::string& out, const std::string& want, int ms, std::size_t from = 0) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  for (;;) {
    if (!want.empty() && out.find(want, from) != std::string::npos) return true;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    char buffer[8192];
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) return !want.empty() && out.find(want, from) != std::string::npos;
    out.append(buffer, static_cast<std::size_t>(n));
  }
}

// Runs `program args...` (args[0] included) to its end, for at most about 30 s, while reading what
// another child writes to `drain_fd` into `drained`: that child (a world printing at full speed) never
// stalls on a full pipe meanwhile. Returns what the program printed.
inline std::string run_while_draining(const char* program, const std::vector<std::string>& args, int drain_fd,
                                      std::string& drained) {
  Child s = spawn_child(program, args, true);
  std::string printed;
  for (int i = 0; i < 3000 && !read_until(s.out, printed, "\x01never printed", 10); ++i) {
    read_available(drain_fd, drained);
    int status;
    if (::waitpid(s.pid, &status, WNOHANG) == s.pid) {
      s.pid = -1;
      break;
    }
  }
  if (s.pid > 0) ::waitpid(s.pid, nullptr, 0);
  ::close(s.out);
  return printed;
}

// A count from the environment (the number of kills, a seed), or `fallback` when it is not set.
inline std::uint64_t env_count(const char* name, std::uint64_t fallback) {
  const char* value = std::getenv(name);
  return value ? std::stoull(value) : fallback;
}

// Like read_until, for a sequence of events: waits for the next `want` at or after `from` and, when it
// appears, moves `from` past it, so that the next call waits for the one after.
inline bool read_next(int fd, std::string& out, const std::string& want, int ms, std::size_t& from) {
  if (!read_until(fd, out, want, ms, from)) return false;
  from = out.find(want, from) + want.size();
  return true;
}

// The usual duration of a phase of a child (its start-up, one snapshot cycle), learned from what the
// test observes, so that a kill can be timed from the child's progress at a random instant within the
// phase that follows, on a slow or loaded machine as on an idle one.
class PhaseDuration {
 public:
  explicit PhaseDuration(double initial_ms) : ms_(initial_ms) {}
  void observe(std::chrono::steady_clock::duration took) {
    ms_ = 0.75 * ms_ + 0.25 * std::chrono::duration<double, std::milli>(took).count();
  }
  double ms() const { return ms_; }
  // A uniformly random instant within `fraction` of one such phase.
  std::chrono::microseconds random_within(std::mt19937_64& random, double fraction = 1.0) const {
    auto us = static_cast<std::uint64_t>(ms_ * fraction * 1000.0) + 1;
    return std::chrono::microseconds(random() % us);
  }

 private:
  double ms_;
};

}  // namespace phantom::test
