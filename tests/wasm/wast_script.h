// WastScript: one .wast file of the official WebAssembly test suite (../shared/wasm-testsuite, see its
// PINNED.md), converted by wabt's wast2json at test time into a temporary directory of JSON commands and
// .wasm modules (test support, shared by the decoder's and the runtime's test-suite tests).
// Converting at test time keeps the pinned .wast files the only copy of the suite (no converted files
// in the checkout to drift from it); wast2json takes about 10 ms a file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/result.h"

namespace phantom::test {

// The pinned suite beside the checkout (WASM_TESTSUITE_DIR, set by tests/CMakeLists.txt).
std::filesystem::path wasm_testsuite_dir();
// Whether the suite is there: a checkout copied elsewhere has no ../shared, and its tests skip.
bool wasm_testsuite_present();
// Whether wast2json can be run. Its absence is a broken setup (scripts/install-deps.sh installs wabt),
// so callers fail rather than skip.
bool wast2json_available();

class WastScript {
 public:
  // Converts `<suite>/<name>.wast`; the error carries wast2json's own output.
  static Result<WastScript> convert(const std::string& name);

  WastScript(WastScript&& other) noexcept;
  WastScript& operator=(WastScript&&) = delete;
  WastScript(const WastScript&) = delete;
  ~WastScript();  // removes the temporary directory

  const std::string& name() const { return name_; }
  // The "commands" array of the JSON, in file order.
  const nlohmann::json& commands() const { return commands_; }
  // The bytes of a module the JSON names by "filename"; nullopt when there is no such file (an empty
  // module is a test case of its own: binary.wast's `(module binary "")`).
  std::optional<std::vector<std::uint8_t>> module_bytes(const std::string& filename) const;

 private:
  WastScript(std::string name, std::filesystem::path dir) : name_(std::move(name)), dir_(std::move(dir)) {}
  std::string name_;
  std::filesystem::path dir_;
  nlohmann::json commands_;
};

}  // namespace phantom::test
