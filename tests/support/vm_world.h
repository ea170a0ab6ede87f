// VmWorld: a VM over a plain in-memory arena, with classes assembled from text and the console captured
// (test support). No store is involved: references are offsets, so any memory works as an arena.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "classfile/class_writer.h"
#include "host/env.h"
#include "support/assembled_class.h"
#include "vm/vm.h"

namespace phantom::test {

class CapturedConsole final : public vm::Console {
 public:
  void write_output(std::string_view bytes) override { out.append(bytes); }
  void write_diagnostic(std::string_view text) override { diag.append(text); }
  int poll_input() override {
    if (input_at < input.size()) return static_cast<unsigned char>(input[input_at++]);
    return vm::Console::input_eof;
  }
  std::string out, diag, input;
  std::size_t input_at = 0;
};

struct RunResult {
  int exit_code = 0;
  std::string out, diag;
};

class VmWorld {
 public:
  explicit VmWorld(std::size_t arena_bytes = 64u << 20)
      : memory_(static_cast<std::byte*>(std::calloc(arena_bytes, 1))), size_(arena_bytes), heap_(memory_.get(), size_) {
    dir_ = std::filesystem::temp_directory_path() / ("phantom-vm-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    std::filesystem::create_directories(dir_);
    heap_.format();
  }
  ~VmWorld() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  // Assembles `source` into the class directory; fails the test on an assembler error.
  // Assembles `source` into the class directory; returns "" or the assembler's error.
  std::string add_class(const std::string& source) { return write_assembled_class(dir_, source); }
  void add_raw_class(const std::string& file_name, const std::vector<std::uint8_t>& bytes) {
    std::ofstream(dir_ / file_name, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }
  // Boots a new world with `boot_class` and runs it until every thread has ended.
  RunResult boot_and_run(const std::string& boot_class, vm::VmOptions options = {}) {
    options.class_path = {dir_.string()};
    options.boot_class = boot_class;
    vm_ = std::make_unique<vm::Vm>(heap_, clock_, console_, options);
    RunResult result;
    auto booted = vm_->boot();
    if (!booted.ok()) {
      result.exit_code = -1;
      result.diag = booted.error().message;
      return result;
    }
    vm::RunReport report = vm_->run();
    result.exit_code = report.exit_code;
    result.out = console_.out;
    result.diag = console_.diag;
    return result;
  }
  vm::Vm& machine() { return *vm_; }
  vm::Heap& heap() { return heap_; }
  CapturedConsole& console() { return console_; }

 private:
  struct Free {
    void operator()(std::byte* p) const { std::free(p); }
  };
  struct SystemClock final : host::Clock {
    std::uint64_t monotonic_ns() const override {
      return static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    }
    std::uint64_t wall_ns() const override {
      return static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
    }
  };
  static int& counter() {
    static int c = 0;
    return c;
  }
  std::unique_ptr<std::byte, Free> memory_;
  std::size_t size_;
  vm::Heap heap_;
  SystemClock clock_;
  CapturedConsole console_;
  std::filesystem::path dir_;
  std::unique_ptr<vm::Vm> vm_;
};

}  // namespace phantom::test
