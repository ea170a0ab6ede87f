// OutputRelay: a stream (the console) that a world writes exactly once, even when the world's process
// is killed (host layer interface). Text goes, with the sequence number of its last output, to a small
// relay process forked at start; the relay writes it and then records the number in a cursor file. A
// kill -9 of the world's process cannot fall between those two steps, since the relay is another
// process: it finishes the piece it has and exits when the pipe ends. A piece that the world was
// still sending when it died is incomplete and dropped; it is sent again after the restore.
// The next `phantom run` waits for the old relay (it holds a lock on the cursor file) before it reads
// the cursor. Only a kill of the relay itself, or a power cut, can repeat text.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "util/result.h"

namespace phantom::host {

class OutputRelay {
 public:
  virtual ~OutputRelay() = default;  // ends the pipe and waits until the relay has written everything
  // The sequence number of the last piece written, as the cursor file said at start.
  virtual std::uint64_t cursor() const = 0;
  // A new world starts counting again.
  virtual Status reset_cursor() = 0;
  // Writes `text` (at most max_piece bytes) and then records `seq` as written.
  virtual Status send(std::uint64_t seq, std::string_view text) = 0;  // seq 0: no cursor update
  static constexpr std::size_t max_piece = 1 << 20;
};

// Forks the relay for standard output. Call before the process has other threads or large mappings.
// Waits up to `wait_ms` for a relay of an earlier run of the same world to finish.
Result<std::unique_ptr<OutputRelay>> start_output_relay(const std::string& cursor_path, int wait_ms);

}  // namespace phantom::host
