// Status lines on stderr without waiting for the reader (host layer, Linux).
#include "host/status_line.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace phantom::host {

// poll() rather than O_NONBLOCK: stderr's open file description is shared with the world's console
// and with the parent (a terminal), which must keep blocking writes. A pipe reports writable while it
// has a free buffer page, and a line is far shorter than a page, so the write after it does not wait
// (unless another thread fills the pipe in between: then it waits, as every write did before).
bool write_status_line_now(std::string_view line) {
  pollfd p{STDERR_FILENO, POLLOUT, 0};
  int ready;
  do ready = ::poll(&p, 1, 0);
  while (ready < 0 && errno == EINTR);
  if (ready == 0) return false;
  if (ready < 0 || !(p.revents & POLLOUT)) return true;  // closed or broken: nobody reads it
  while (!line.empty()) {
    ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    line.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace phantom::host
