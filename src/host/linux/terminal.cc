// Terminal relay on Linux: termios for the line discipline, poll over stdin and the stream (host layer).
// May call: Linux only.
#include "host/terminal.h"

#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace phantom::host {
namespace {

// Sets the terminal up for attaching and puts it back as it was, whatever way the relay ends.
class TerminalMode {
 public:
  explicit TerminalMode(char detach_key) {
    if (::tcgetattr(0, &saved_) != 0) return;
    termios mode = saved_;
    mode.c_lflag &= ~static_cast<tcflag_t>(ISIG);  // Ctrl-C and Ctrl-Z go to the world, not to attach
    mode.c_iflag &= ~static_cast<tcflag_t>(IXON);
    mode.c_cc[VEOL] = static_cast<cc_t>(detach_key);  // ends a line: delivered without waiting for Enter
    changed_ = ::tcsetattr(0, TCSANOW, &mode) == 0;
  }
  ~TerminalMode() {
    if (changed_) ::tcsetattr(0, TCSANOW, &saved_);
  }
  TerminalMode(const TerminalMode&) = delete;
  TerminalMode& operator=(const TerminalMode&) = delete;

 private:
  termios saved_{};
  bool changed_ = false;
};

Status write_stdout(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(1, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_error(Errc::io, "cannot write to the terminal: {}", std::strerror(errno));
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return ok_status();
}

}  // namespace

bool stdin_is_terminal() { return ::isatty(0) == 1; }

Result<RelayEnd> relay_terminal(LocalStream& stream, char detach_key) {
  TerminalMode mode(detach_key);
  if (!stream.buffer_.empty()) PHANTOM_TRY(write_stdout(std::exchange(stream.buffer_, std::string())));
  bool input_open = true;
  for (;;) {
    pollfd p[2] = {{stream.fd_, POLLIN, 0}, {input_open ? 0 : -1, POLLIN, 0}};
    if (::poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return make_error(Errc::io, "cannot wait for input: {}", std::strerror(errno));
    }
    if (p[0].revents) {
      PHANTOM_ASSIGN(std::string bytes, stream.read_some(0));
      if (bytes.empty()) return RelayEnd::stream_ended;
      PHANTOM_TRY(write_stdout(bytes));
    }
    if (p[1].revents) {
      char chunk[4096];
      ssize_t n = ::read(0, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return RelayEnd::input_ended;
      std::string_view typed(chunk, static_cast<std::size_t>(n));
      auto key = typed.find(detach_key);
      PHANTOM_TRY(stream.write_all(typed.substr(0, key), 5000));
      if (key != std::string_view::npos) return RelayEnd::detached;
    }
  }
}

}  // namespace phantom::host
