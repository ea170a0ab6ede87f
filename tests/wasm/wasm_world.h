// WasmWorld: a booted VM over an in-memory arena with a WebAssembly engine on it, and `wat()` to turn
// WebAssembly text into a module with wabt's wat2wasm (test support).
#pragma once

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/vm_world.h"
#include "wasm/runtime.h"

namespace phantom::test {

// The bytes of the module `text` (WebAssembly text format), or an empty vector with a test failure.
inline std::vector<std::uint8_t> wat(const std::string& text) {
  static int counter = 0;
  auto dir = std::filesystem::temp_directory_path();
  auto base = dir / ("phantom-wat-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::string in = base.string() + ".wat", out = base.string() + ".wasm";
  std::ofstream(in) << text;
  std::string command = "wat2wasm --enable-all --disable-simd " + in + " -o " + out + " 2>&1";
  std::string messages;
  if (FILE* p = ::popen(command.c_str(), "r")) {
    char buffer[512];
    while (std::fgets(buffer, sizeof buffer, p)) messages += buffer;
    ::pclose(p);
  }
  std::ifstream file(out, std::ios::binary);
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::filesystem::remove(in);
  std::filesystem::remove(out);
  EXPECT_FALSE(bytes.empty()) << "wat2wasm failed: " << messages;
  return bytes;
}

class WasmWorld {
 public:
  explicit WasmWorld(std::size_t arena_bytes = std::size_t(1) << 30) : world_(arena_bytes) {
    EXPECT_EQ(world_.add_class(".class .t.boot\n.method run 8\n  arg_count 1\n  summon_null\n  ret\n.end\n"), "");
    EXPECT_EQ(world_.boot_and_run(".t.boot").exit_code, 0);
    engine_ = std::make_unique<wasm::Engine>(world_.machine());
  }
  vm::Vm& machine() { return world_.machine(); }
  wasm::Engine& engine() { return *engine_; }
  // A new engine over the same arena: the host caches are gone, as after a restart.
  void restart_engine() {
    engine_.reset();
    engine_ = std::make_unique<wasm::Engine>(world_.machine());
  }

 private:
  VmWorld world_;
  std::unique_ptr<wasm::Engine> engine_;
};

}  // namespace phantom::test
