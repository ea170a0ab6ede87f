// Terminal: connects the user's terminal (this process's stdin and stdout) to a byte stream, for
// `phantom attach` (host layer interface; Linux: linux/terminal.cc).
#pragma once

#include "host/local_socket.h"
#include "util/result.h"

namespace phantom::host {

enum class RelayEnd {
  detached,      // the user typed the detach key
  stream_ended,  // the other end closed the stream (the world stopped)
  input_ended,   // stdin ended (Ctrl-D at the start of a line, or the end of a pipe)
};

// Copies stdin to `stream` and the stream to stdout until one of the RelayEnd events. On a terminal the
// line discipline keeps editing and echo (the console is line-oriented and programs do not echo), while
// signals are off, so that Ctrl-C reaches the world, and `detach_key` ends a line so that it acts at
// once. The terminal's settings are restored before returning.
Result<RelayEnd> relay_terminal(LocalStream& stream, char detach_key);

bool stdin_is_terminal();

}  // namespace phantom::host
