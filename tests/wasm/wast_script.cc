// WastScript (wast_script.h): wast2json in a temporary directory, the JSON parsed, the directory removed
// with the object.
#include "wast_script.h"

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>

#include <unistd.h>

namespace phantom::test {

namespace fs = std::filesystem;

fs::path wasm_testsuite_dir() { return WASM_TESTSUITE_DIR; }

bool wasm_testsuite_present() { return fs::exists(wasm_testsuite_dir()); }

bool wast2json_available() { return std::system("command -v wast2json >/dev/null 2>&1") == 0; }

namespace {

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Single quotes for /bin/sh; the paths are ours, but a quote in one must not break the command.
std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

Result<WastScript> WastScript::convert(const std::string& name) {
  const fs::path source = wasm_testsuite_dir() / (name + ".wast");
  if (!fs::exists(source)) return make_error(Errc::not_found, "{}: no such file", source.string());
  static std::atomic<int> counter{0};
  fs::path dir = fs::temp_directory_path() /
                 ("phantom-wast-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" + name);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error(Errc::io, "{}: {}", dir.string(), ec.message());
  WastScript script(name, dir);  // from here on the directory goes with `script`
  const fs::path json_path = dir / (name + ".json");
  const fs::path log = dir / "wast2json.log";
  // The default feature set of wabt 1.0.32 is the 2.0 one (bulk memory, reference types, multi-value,
  // SIMD, ...): every file of the pin converts without --enable flags.
  const std::string command =
      "wast2json " + quoted(source.string()) + " -o " + quoted(json_path.string()) + " >" + quoted(log.string()) + " 2>&1";
  if (std::system(command.c_str()) != 0)
    return make_error(Errc::corrupt, "wast2json failed on {}: {}", source.string(), read_text(log));
  nlohmann::json json = nlohmann::json::parse(read_text(json_path), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object() || !json.contains("commands") || !json["commands"].is_array())
    return make_error(Errc::corrupt, "{}: not the JSON wast2json writes", json_path.string());
  script.commands_ = std::move(json["commands"]);
  return script;
}

WastScript::WastScript(WastScript&& other) noexcept
    : name_(std::move(other.name_)), dir_(std::move(other.dir_)), commands_(std::move(other.commands_)) {
  other.dir_.clear();
}

WastScript::~WastScript() {
  if (dir_.empty()) return;
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::optional<std::vector<std::uint8_t>> WastScript::module_bytes(const std::string& filename) const {
  // wast2json names its modules "<name>.<n>.wasm" inside the directory; anything else is not one of them.
  if (filename.empty() || filename.find('/') != std::string::npos) return std::nullopt;
  std::ifstream in(dir_ / filename, std::ios::binary);
  if (!in) return std::nullopt;
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace phantom::test
