// Terminal console (system layer). Uses only the C library's stdio, which every host provides.
#include "system/terminal_console.h"

#include <chrono>
#include <cstdio>

namespace phantom::system {

TerminalConsole::TerminalConsole() = default;
TerminalConsole::~TerminalConsole() { flush(); }

void TerminalConsole::write_output(std::string_view bytes) {
  std::lock_guard lock(mutex_);
  out_.append(bytes);
  // Buffered, but never for long: a program that prints while it computes is seen within 50 ms.
  auto now = std::chrono::steady_clock::now();
  if (out_.size() >= 4096 || now - last_flush_ > std::chrono::milliseconds(50)) {
    std::fwrite(out_.data(), 1, out_.size(), stdout);
    std::fflush(stdout);
    out_.clear();
    last_flush_ = now;
  }
}

void TerminalConsole::flush() {
  std::lock_guard lock(mutex_);
  if (!out_.empty()) {
    std::fwrite(out_.data(), 1, out_.size(), stdout);
    out_.clear();
  }
  std::fflush(stdout);
}

void TerminalConsole::write_diagnostic(std::string_view text) {
  flush();
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

void TerminalConsole::on_input(std::function<void()> callback) {
  std::lock_guard lock(mutex_);
  on_input_ = std::move(callback);
}

int TerminalConsole::poll_input() {
  std::lock_guard lock(mutex_);
  if (!reader_started_) {
    // Start reading only when a program first asks, so a world that never reads leaves stdin alone.
    reader_started_ = true;
    std::thread([this] { read_loop(); }).detach();
    return input_none;
  }
  if (!input_.empty()) {
    int ch = input_.front();
    input_.pop_front();
    return ch;
  }
  return eof_ ? input_eof : input_none;
}

void TerminalConsole::read_loop() {
  for (;;) {
    int ch = std::getc(stdin);
    std::lock_guard lock(mutex_);  // held while calling back: on_input(nullptr) waits for a call in flight
    if (ch == EOF) eof_ = true;
    else input_.push_back(ch);
    if (on_input_) on_input_();
    if (ch == EOF) return;
  }
}

}  // namespace phantom::system
