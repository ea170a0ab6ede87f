// Backend: one kind of connection, chosen by the name's four-character prefix (connections layer,
// subsystems.md §3.3). A backend keeps its persistent state in the connection object (connection.h)
// and its host state in the Link; it must say for itself what survives a restart (docs/connections.md).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "connections/connection.h"

namespace phantom::connections {

class Hub;

// Host state of one backend for one connection; lost at a restart and re-made by open(restart=true).
struct LinkState {
  virtual ~LinkState() = default;
};

// The host side of one connected connection.
struct Link {
  class Backend* backend = nullptr;
  std::unique_ptr<LinkState> state;
};

// What a backend's open() answers: 0, or a Phantom errno with a message for lastError().
struct OpenResult {
  int error = 0;
  std::string message;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view prefix() const = 0;  // "tmr:"
  // Makes the host side for `conn`, whose persistent state binary is fresh (restart = false) or the
  // one the snapshot holds (restart = true, after a restore).
  virtual OpenResult open(Hub& hub, ConnectionView conn, Link& link, std::string_view suffix, bool restart) = 0;
  // The size of the persistent state binary a new connection gets.
  virtual std::uint32_t state_size() const { return 0; }
  // invoke(arg, op): never blocks; returns an int (0 or a Phantom errno).
  virtual vm::NativeOutcome invoke(Hub& hub, ConnectionView conn, Link& link, vm::NativeCall& call, vm::Ref arg, int op);
  // block(arg, op): may park its VM thread; returns the operation's result object.
  virtual vm::NativeOutcome block(Hub& hub, ConnectionView conn, Link& link, vm::NativeCall& call, vm::Ref arg, int op);
  virtual void close(Hub&, ConnectionView, Link&) {}
};

}  // namespace phantom::connections
