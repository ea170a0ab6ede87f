// Env: everything Phantom takes from its host, in one object passed down from main() (host layer).
// Like Genode's Env: layers above get what they need from here by reference; nothing above src/host/
// calls the operating system. A second host (Genode) implements this interface in src/host/genode/.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "host/arena.h"
#include "host/block_device.h"
#include "host/clock.h"
#include "host/page_tracker.h"
#include "util/result.h"

namespace phantom::host {

enum class OpenMode {
  create_new,     // fails with exists if the path exists
  open_existing,  // read and write
  read_only,
};

class Env {
 public:
  virtual ~Env() = default;
  virtual Clock& clock() = 0;
  virtual Result<std::unique_ptr<BlockDevice>> open_block_device(const std::string& path, OpenMode mode) = 0;
  // Reserves [address, address + size) exactly, or fails with busy if any of it is in use; address 0
  // reserves `size` bytes wherever the host has room.
  virtual Result<std::unique_ptr<Arena>> reserve_arena(std::uint64_t address, std::uint64_t size) = 0;
  // Starts tracking writes to the arena. The tracker must be destroyed before the arena.
  virtual Result<std::unique_ptr<PageTracker>> track_writes(Arena& arena, TrackingMode mode) = 0;
  // The same, and serves first touches of every page from `source` until the page is installed:
  // the arena must be untouched. Fails with unsupported where the host cannot (then fill eagerly).
  virtual Result<std::unique_ptr<PageTracker>> track_writes_lazily(Arena& arena, PageSource& source) = 0;
};

// The Env of the host this binary was built for (src/host/linux/ on Linux).
std::unique_ptr<Env> make_host_env();

}  // namespace phantom::host
