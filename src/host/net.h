// Network sockets (host layer interface): what a world's `tcp:`, `udp:` and HTTP connections reach of
// the host's network. Every socket is non-blocking; the connections layer waits for it on the one
// EventLoop (event_loop.h) through handle(), and never blocks the VM executor on the network. Name
// resolution blocks (getaddrinfo): call resolve() off the executor (the event loop hands it to a
// worker thread). IPv4 and IPv6.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace phantom::host {

// An IP address and port, host-neutral.
struct NetAddress {
  enum Family : std::uint8_t { ipv4 = 4, ipv6 = 6 };
  Family family = ipv4;
  std::array<std::uint8_t, 16> bytes{};  // ipv4: the first 4
  std::uint16_t port = 0;

  // "127.0.0.1:8080", "[::1]:8080" (numeric only; names go through resolve()).
  static Result<NetAddress> parse(std::string_view text);
  std::string to_string() const;
  bool is_loopback() const;
  bool is_any() const;  // 0.0.0.0 or ::
  bool operator==(const NetAddress&) const = default;
};

// Splits "HOST:PORT" (HOST a name, an IPv4 address or [IPv6], brackets removed); false when malformed.
// Unlike NetAddress::parse it accepts names: the connections layer resolves them.
bool split_host_port(std::string_view text, std::string& host, std::uint16_t& port);

// Resolves a host name (or a numeric address) for `port`: IPv4 and IPv6 results, in the order the
// resolver prefers. Blocks: never on the executor. A name that cannot be one (empty, longer than 253,
// holding a NUL or a control character) is an error without a lookup.
Result<std::vector<NetAddress>> resolve(const std::string& host, std::uint16_t port);

// Resolves names on a host thread of its own, one at a time, so that neither the executor nor the
// event loop waits for DNS. `done` runs on that thread (it should post the answer where it is needed).
class Resolver {
 public:
  using Done = std::function<void(Result<std::vector<NetAddress>>)>;
  // Waits for the name being resolved now (its `done` runs); names still queued are dropped.
  virtual ~Resolver() = default;
  virtual void resolve(std::string host, std::uint16_t port, Done done) = 0;
};
std::unique_ptr<Resolver> start_resolver();

// What a non-blocking read or write did.
struct IoResult {
  enum Kind { done, would_block, closed, failed };
  Kind kind = done;
  std::size_t bytes = 0;  // done: how many (a read of 0 bytes is `closed`)
  std::string error;      // failed: "connection reset by peer"
};

class Socket {
 public:
  virtual ~Socket() = default;  // closes
  // What EventLoop::watch() waits on.
  virtual int handle() const = 0;
  virtual NetAddress local_address() const = 0;
  virtual NetAddress peer_address() const = 0;  // streams

  // ---- streams (TCP) ----
  // After the handle became writable following connect_stream(): true when the connection is made,
  // false while it is still being made (an event that was not for this socket), an error when it failed.
  virtual Result<bool> finish_connect() = 0;
  virtual IoResult read(std::span<char> out) = 0;
  virtual IoResult write(std::span<const char> bytes) = 0;
  virtual void shutdown_write() = 0;
  // A listening socket: the next pending connection, or nullptr when none is waiting now. An error
  // (out of descriptors or memory) leaves the connections waiting in the kernel: try again later.
  virtual Result<std::unique_ptr<Socket>> accept() = 0;

  // ---- datagrams (UDP) ----
  virtual IoResult send_to(const NetAddress& to, std::span<const char> bytes) = 0;
  virtual IoResult receive_from(std::span<char> out, NetAddress& from) = 0;
};

// Starts a connection to `to` (non-blocking: wait until handle() is writable, then finish_connect()).
Result<std::unique_ptr<Socket>> connect_stream(const NetAddress& to);
// A listening TCP socket bound to `at` (port 0: any free port; local_address() tells which), with
// SO_REUSEADDR so that a world restarted at once binds its port again.
Result<std::unique_ptr<Socket>> listen_stream(const NetAddress& at, int backlog = 511);
// A UDP socket bound to `at` (port 0: any free port).
Result<std::unique_ptr<Socket>> open_datagram(const NetAddress& at);

}  // namespace phantom::host
