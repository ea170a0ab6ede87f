// Local sockets: a listening endpoint in the file system and the byte streams it accepts, for the
// control channel of a running world (host layer interface; Linux: linux/local_socket.cc, Unix-domain
// stream sockets). Each object owns its descriptor; none can be copied.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace phantom::host {

// Who is at the other end of a connection, as the kernel vouches for it (not as the peer claims).
struct PeerCredentials {
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::int64_t pid = 0;
};

// The user this process runs as.
std::uint32_t current_uid();
// A user's login name, or the number when the system does not know it.
std::string user_name(std::uint32_t uid);

enum class RelayEnd;  // terminal.h

// One connected byte stream. Reads are buffered so that lines and raw bytes can follow each other.
class LocalStream {
 public:
  LocalStream() = default;
  explicit LocalStream(int descriptor) : fd_(descriptor) {}
  LocalStream(LocalStream&& other) noexcept;
  LocalStream& operator=(LocalStream&& other) noexcept;
  LocalStream(const LocalStream&) = delete;
  LocalStream& operator=(const LocalStream&) = delete;
  ~LocalStream();

  bool valid() const { return fd_ >= 0; }
  // Writes every byte; fails when the peer is gone or does not read for `timeout_ms` (-1: no limit).
  Status write_all(std::string_view bytes, int timeout_ms = -1);
  // The next line without its '\n'; nullopt at the end of the stream (a last unterminated line is
  // returned first). Fails after `timeout_ms` without a full line (-1: no limit) or on an error.
  Result<std::optional<std::string>> read_line(int timeout_ms = -1);
  // What has arrived (buffered bytes first), waiting up to `timeout_ms` for something; an empty string
  // means the end of the stream. Fails with Errc::busy on a timeout.
  Result<std::string> read_some(int timeout_ms = -1);
  PeerCredentials peer() const;
  // Ends both directions, so that a thread blocked reading this stream wakes up and sees the end.
  void shut_down();
  // Gives up ownership without closing: the kernel closes the descriptor when the process exits. Used
  // to tell a client "this process has exited" by the end of its stream.
  void keep_open_until_exit() { fd_ = -1; }

 private:
  friend Result<RelayEnd> relay_terminal(LocalStream& stream, char detach_key);
  int fd_ = -1;
  std::string buffer_;
};

// A listening socket bound to a path, with mode 0600.
class LocalListener {
 public:
  // A socket file left behind by a process that died (nobody accepts on it) is replaced; one that a live
  // process answers on is Errc::busy; a path too long for a socket address is Errc::invalid_argument.
  static Result<LocalListener> listen(const std::string& path);
  LocalListener() = default;
  LocalListener(LocalListener&& other) noexcept;
  LocalListener& operator=(LocalListener&& other) noexcept;
  LocalListener(const LocalListener&) = delete;
  LocalListener& operator=(const LocalListener&) = delete;
  ~LocalListener();  // closes and removes the socket file

  // The next connection; nullopt once close() was called (from any thread).
  Result<std::optional<LocalStream>> accept();
  void close();
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  int wake_[2] = {-1, -1};  // a pipe: close() writes to it to end a blocked accept()
  std::string path_;
};

// Connects to the socket at `path`: Errc::not_found when there is no socket file, Errc::busy ("nobody
// answers") when the file exists but no process accepts on it.
Result<LocalStream> connect_local(const std::string& path);

}  // namespace phantom::host
