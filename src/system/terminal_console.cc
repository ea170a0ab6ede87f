// Console devices (system layer). Use only the C library's stdio, which every host provides.
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

// ---- AttachableConsole ----

AttachableConsole::AttachableConsole(std::size_t backlog_limit) : backlog_limit_(backlog_limit) {}
AttachableConsole::~AttachableConsole() { std::fflush(stdout); }

void AttachableConsole::keep_in_backlog(std::string_view bytes) {
  backlog_.append(bytes);
  if (backlog_.size() > backlog_limit_) {
    std::size_t excess = backlog_.size() - backlog_limit_;
    backlog_.erase(0, excess);
    dropped_ += excess;
  }
}

void AttachableConsole::write_output(std::string_view bytes) {
  std::lock_guard lock(mutex_);
  if (client_) {
    if (client_(bytes)) return;
    // The client is gone or does not read: it is detached, and what it missed waits for the next one.
    client_ = nullptr;
    client_name_.clear();
    client_token_ = 0;
  }
  keep_in_backlog(bytes);
  std::fwrite(bytes.data(), 1, bytes.size(), stdout);
  std::fflush(stdout);
}

void AttachableConsole::write_diagnostic(std::string_view text) {
  {
    std::lock_guard lock(mutex_);
    if (client_ && !client_(text)) {
      client_ = nullptr;
      client_name_.clear();
      client_token_ = 0;
    }
  }
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

int AttachableConsole::poll_input() {
  std::lock_guard lock(mutex_);
  if (input_.empty()) return input_none;  // with no client, input waits for one: never an end
  int ch = input_.front();
  input_.pop_front();
  return ch;
}

void AttachableConsole::on_input(std::function<void()> callback) {
  std::lock_guard lock(mutex_);
  on_input_ = std::move(callback);
}

Result<std::uint64_t> AttachableConsole::attach(const std::string& who, Sender send, std::string_view greeting) {
  std::lock_guard lock(mutex_);
  if (client_) return make_error(Errc::busy, "the console is already attached by {}; only one attach at a time", client_name_);
  std::string first(greeting);
  if (dropped_ > 0) first += fmt::format("[phantom: {} earlier bytes of output were dropped]\n", dropped_);
  first += backlog_;
  if (!send(first)) return make_error(Errc::io, "the client went away while attaching");
  backlog_.clear();
  dropped_ = 0;
  client_ = std::move(send);
  client_name_ = who;
  client_token_ = next_token_++;
  return client_token_;
}

void AttachableConsole::detach(std::uint64_t token) {
  std::lock_guard lock(mutex_);
  if (token != client_token_) return;
  client_ = nullptr;
  client_name_.clear();
  client_token_ = 0;
}

void AttachableConsole::input(std::string_view bytes) {
  std::lock_guard lock(mutex_);  // held while calling back: on_input(nullptr) waits for a call in flight
  for (char c : bytes) input_.push_back(static_cast<unsigned char>(c));
  if (on_input_) on_input_();
}

std::string AttachableConsole::attached_client() {
  std::lock_guard lock(mutex_);
  return client_name_;
}

}  // namespace phantom::system
