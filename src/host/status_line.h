// Status lines: the lines a running world's process writes about itself on stderr, such as the
// snapshot log of `phantom run --log-snapshots` (host layer interface; Linux: linux/status_line.cc).
#pragma once

#include <string_view>

namespace phantom::host {

// Writes `line` to stderr if stderr takes it without waiting; false when it would have to wait (a pipe
// that nobody reads, a terminal stopped with Ctrl-S). A stderr that is closed or broken counts as
// taken: nobody reads it.
bool write_status_line_now(std::string_view line);

}  // namespace phantom::host
