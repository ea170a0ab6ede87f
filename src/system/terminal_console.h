// Console devices: the VM's console (vm::Console) on the process's terminal, or attachable by
// `phantom attach` for a world running as a daemon (system layer).
// TerminalConsole: program output goes to stdout and nothing else does; the system's messages go to
// stderr; keyboard input is read by a helper thread into a queue, so that a VM thread waiting for input
// parks instead of blocking the executor.
// AttachableConsole: at most one client is attached at a time (control_server.cc connects it). While
// one is, output goes to it and its keystrokes are the input; while none is, output goes to stdout (the
// log of a daemon) and into a bounded backlog that the next client sees first, and input waits.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "util/result.h"
#include "vm/vm.h"

namespace phantom::system {

// A console device as the world runner uses it: the VM's interface, plus a call when input arrives so
// that the runner can wake the executor.
class ConsoleDevice : public vm::Console {
 public:
  // Called whenever input arrives or ends; nullptr stops the calls, and returns only when no call is in
  // flight.
  virtual void on_input(std::function<void()> callback) = 0;
};

class TerminalConsole final : public ConsoleDevice {
 public:
  TerminalConsole();
  ~TerminalConsole() override;
  void write_output(std::string_view bytes) override;
  void write_diagnostic(std::string_view text) override;
  int poll_input() override;
  void flush() override;
  void on_input(std::function<void()> callback) override;

 private:
  void read_loop();
  std::mutex mutex_;
  std::string out_;
  std::chrono::steady_clock::time_point last_flush_{};
  std::deque<int> input_;
  bool eof_ = false;
  bool reader_started_ = false;
  std::function<void()> on_input_;
};

class AttachableConsole final : public ConsoleDevice {
 public:
  // Sends bytes to the attached client; false when the client is gone or stalled (it is then detached).
  using Sender = std::function<bool(std::string_view)>;
  static constexpr std::size_t default_backlog_limit = 64 * 1024;

  explicit AttachableConsole(std::size_t backlog_limit = default_backlog_limit);
  ~AttachableConsole() override;
  void write_output(std::string_view bytes) override;
  void write_diagnostic(std::string_view text) override;
  int poll_input() override;
  void on_input(std::function<void()> callback) override;

  // Attaches `who` (a description for the message a second client gets): sends `greeting`, then the
  // backlog, then all further output through `send`. Errc::busy, naming the attached client, when one is.
  // Returns a token for detach().
  Result<std::uint64_t> attach(const std::string& who, Sender send, std::string_view greeting);
  void detach(std::uint64_t token);  // does nothing when `token` is no longer the attached one
  // Keystrokes of the attached client.
  void input(std::string_view bytes);
  std::string attached_client();  // empty when none

 private:
  void keep_in_backlog(std::string_view bytes);  // mutex_ held
  const std::size_t backlog_limit_;
  std::mutex mutex_;
  std::string backlog_;
  std::uint64_t dropped_ = 0;  // backlog bytes lost to the limit since the last attach
  std::deque<int> input_;
  std::function<void()> on_input_;
  Sender client_;
  std::string client_name_;
  std::uint64_t client_token_ = 0, next_token_ = 1;
};

}  // namespace phantom::system
