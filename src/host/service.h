// Service: running as a daemon and telling a service manager about it (host layer interface; Linux:
// linux/service.cc, fork/setsid and systemd's sd_notify).
#pragma once

#include <string>
#include <string_view>

#include "util/result.h"

namespace phantom::host {

// Tells the service manager (systemd, for a unit with Type=notify) about this process, e.g. "READY=1",
// "STOPPING=1", "STATUS=...". Does nothing when the process was not started by one.
void notify_service_manager(std::string_view state);
// This process's id (for status reports).
std::int64_t process_id();

// Detaching into the background: detach() forks. The parent waits in wait_ready() until the child calls
// ready() (it then exits 0) or the child ends without it (it then shows what the child logged). The
// child runs in a new session, with stdin from /dev/null and stdout and stderr appended to the log.
class Daemon {
 public:
  static Result<Daemon> detach(const std::string& log_path);
  Daemon(Daemon&& other) noexcept;
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;
  ~Daemon();

  bool child() const { return child_pid_ == 0; }
  std::int64_t child_pid() const { return child_pid_; }
  // In the child: the world runs; the parent may go. Later calls do nothing.
  void ready();
  // In the parent: Ok once the child is ready, or an error holding what the child logged before it
  // ended (or gave up after `timeout_ms`).
  Status wait_ready(int timeout_ms);

 private:
  Daemon() = default;
  std::int64_t child_pid_ = -1;
  int pipe_fd_ = -1;        // the child writes "ready\n" to it; the parent reads it
  long long log_start_ = 0;  // where the child's lines begin in the log
  std::string log_path_;
};

}  // namespace phantom::host
