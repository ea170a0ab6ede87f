// Control server: the control socket of a running world (system layer). Serves the verbs of
// docs/control.md — start, snapshot, stop, status, attach — to clients of the same user, each connection
// on its own thread, through RunningWorld (running_world.h) and the world's AttachableConsole.
//
// Protocol: the client sends one JSON object on one line, {"verb": ...}; the server answers with one JSON
// line, {"ok": true, ...} or {"ok": false, "error": "..."}. After a successful attach the connection
// carries raw console bytes both ways; after a stop the server never closes it, so that the client sees
// its end exactly when the world's process has exited.
// Access: the socket file has mode 0600 and every connection's peer credentials (SO_PEERCRED) are
// checked: a user other than the one running the world (root included) is refused with a message.
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "host/local_socket.h"
#include "system/running_world.h"
#include "system/terminal_console.h"
#include "util/result.h"

namespace phantom::system {

// The key that ends `phantom attach` (Ctrl-], as in telnet), and how it is shown to users.
constexpr char detach_key = 0x1d;
constexpr const char* detach_key_name = "Ctrl-]";

// WorldStatus on the wire (and in `phantom status --json`).
nlohmann::json status_to_json(const WorldStatus& status);
WorldStatus status_from_json(const nlohmann::json& json);

class ControlServer {
 public:
  // Listens on `path` (a stale socket file is replaced; a live one is Errc::busy) and serves `world`
  // until destroyed. `console` is null for a world whose console is the terminal (not attachable).
  static Result<std::unique_ptr<ControlServer>> start(RunningWorld& world, AttachableConsole* console, const std::string& path);
  ~ControlServer();  // stops accepting, ends every connection (an attached console is detached), joins
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  const std::string& path() const { return listener_.path(); }

 private:
  struct Connection {
    host::LocalStream stream;
    std::thread thread;
    std::atomic<bool> done{false};
  };
  ControlServer(RunningWorld& world, AttachableConsole* console, host::LocalListener listener);
  void accept_loop();
  void serve(Connection& connection);
  nlohmann::json answer(const nlohmann::json& request);
  void serve_attach(Connection& connection, const std::string& who);
  void reap_finished();  // connections_mutex_ held

  RunningWorld& world_;
  AttachableConsole* console_;
  host::LocalListener listener_;
  const std::uint32_t uid_;
  std::mutex connections_mutex_;
  std::list<std::unique_ptr<Connection>> connections_;
  std::thread acceptor_;
};

}  // namespace phantom::system
