// Terminal console: connects the VM's console to the process's stdin, stdout and stderr (system layer).
// Program output goes to stdout and nothing else does; the system's messages go to stderr. Keyboard
// input is read by a helper thread into a queue, so that a VM thread waiting for input parks instead
// of blocking the executor.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "vm/vm.h"

namespace phantom::system {

class TerminalConsole final : public vm::Console {
 public:
  TerminalConsole();
  ~TerminalConsole() override;
  void write_output(std::string_view bytes) override;
  void write_diagnostic(std::string_view text) override;
  int poll_input() override;
  void flush() override;
  // Called (from the reader thread) whenever input arrives or ends; nullptr stops the calls, and
  // returns only when no call is in flight.
  void on_input(std::function<void()> callback);

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

}  // namespace phantom::system
