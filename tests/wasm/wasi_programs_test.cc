// WASI end to end in-process: the C and Rust programs of wasm/programs/ (built at test time by
// build.sh) run on the Engine with WASI over an in-memory world, and their console output, exit code
// and the files they leave must equal what Node's node:wasi gives for the same program, arguments,
// environment and stdin (run_node.mjs). Each program runs twice: in one go, and in small slices with a
// fresh Engine and WasiContext between slices (empty host caches, as after a restart: files are
// opened again by name at their offsets, sleeps keep their deadlines). Skipped without the toolchains
// or Node. wasi_compare.sh does the same through `phantom run --boot-wasm`.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "host/files.h"
#include "wasm/wasi.h"
#include "wasm/wasm_world.h"

namespace phantom::test {
namespace {

namespace fs = std::filesystem;

const fs::path programs = fs::path(WASI_PROGRAMS_DIR);

// Runs `command`, returning its stdout; `status` gets the exit status.
std::string shell(const std::string& command, int* status = nullptr) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) return out;
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, p)) > 0) out.append(buffer, n);
  int st = ::pclose(p);
  if (status) *status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return out;
}

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Every name beneath `dir` with its contents, in order.
std::string tree(const fs::path& dir) {
  std::vector<std::string> lines;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    std::string name = fs::relative(e.path(), dir).string();
    if (e.is_directory()) {
      lines.push_back(name + "/");
    } else {
      std::ifstream in(e.path(), std::ios::binary);
      lines.push_back(name + ": " + std::string(std::istreambuf_iterator<char>(in), {}));
    }
  }
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

struct Outcome {
  std::string output;
  int exit_code = -1;
  std::string files;
};

class WasiPrograms : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    bin_ = fs::temp_directory_path() / ("phantom-wasi-programs-" + std::to_string(::getpid()));
    int status = 0;
    std::string out = shell((programs / "build.sh").string() + " " + bin_.string() + " 2>&1", &status);
    if (status != 0) skip_ = status == 77 ? "no wasm toolchain: " + out : "build.sh failed: " + out;
    else if (!fs::exists("/usr/bin/node")) skip_ = "no /usr/bin/node";
  }
  static void TearDownTestSuite() {
    std::error_code ec;
    fs::remove_all(bin_, ec);
  }
  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << skip_;
    work_ = bin_ / ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::create_directories(work_);
  }

  Outcome node(const std::string& program, const std::vector<std::string>& args, const std::string& input) {
    fs::path dir = work_ / ("node-" + program);
    fs::create_directories(dir);
    std::ofstream(work_ / "stdin", std::ios::binary) << input;
    std::string command = "WASI_ENV_GREETING=hello /usr/bin/node --no-warnings --experimental-wasi-unstable-preview1 " +
                          quote((programs / "run_node.mjs").string()) + " " + quote(dir.string()) + " " +
                          quote((bin_ / (program + ".wasm")).string());
    for (const auto& a : args) command += " " + quote(a);
    command += " < " + quote((work_ / "stdin").string()) + " 2>&1";
    Outcome r;
    r.output = shell(command, &r.exit_code);
    r.files = tree(dir);
    return r;
  }

  // `fuel` per run(); with `restarts`, a new Engine and WasiContext before every run after the first.
  Outcome phantom(const std::string& program, const std::vector<std::string>& args, const std::string& input,
              std::uint64_t fuel, bool restarts) {
    fs::path dir = work_ / ((restarts ? "restarts-" : "phantom-") + program);
    auto files = host::open_sandbox(dir.string(), true);
    EXPECT_TRUE(files.ok());
    std::unique_ptr<host::Directory> sandbox = std::move(files).value();
    WasmWorld w;
    auto& console = static_cast<CapturedConsole&>(w.machine().console());
    console.out.clear();
    console.input = input;
    console.input_at = 0;
    auto context = std::make_unique<wasm::WasiContext>(wasm::WasiOptions{sandbox.get(), nullptr});
    w.engine().add_host_module(wasm::wasi_module(*context));
    std::ifstream in(bin_ / (program + ".wasm"), std::ios::binary);
    std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Outcome r;
    vm::Ref store = w.engine().new_store();
    std::vector<std::string> argv = {program + ".wasm"};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<std::string> env = {"GREETING=hello"};
    EXPECT_TRUE(wasm::set_wasi_args(w.engine(), store, argv, env).ok());
    auto module = w.engine().load_module(store, bytes);
    if (!module.ok()) {
      ADD_FAILURE() << module.error().message;
      return r;
    }
    auto instance = w.engine().instantiate(store, *module);
    if (!instance.ok()) {
      ADD_FAILURE() << instance.error().message;
      return r;
    }
    auto start = w.engine().find_export(*instance, "_start");
    if (!start) {
      ADD_FAILURE() << "no _start";
      return r;
    }
    auto call = w.engine().begin_call(*instance, start->index, {});
    if (!call.ok()) {
      ADD_FAILURE() << call.error().message;
      return r;
    }
    for (int runs = 0;; ++runs) {
      if (restarts && runs > 0) {
        w.restart_engine();
        context = std::make_unique<wasm::WasiContext>(wasm::WasiOptions{sandbox.get(), nullptr});
        w.engine().add_host_module(wasm::wasi_module(*context));
      }
      wasm::CallOutcome out = w.engine().run(*call, fuel);
      if (out.status == wasm::CallOutcome::yielded) continue;
      if (out.status == wasm::CallOutcome::blocked) {
        EXPECT_FALSE(out.wait_input) << "the captured console never waits: it answers end of input";
        if (out.wake_ns) std::this_thread::sleep_until(std::chrono::system_clock::time_point(std::chrono::nanoseconds(out.wake_ns)));
        continue;
      }
      if (out.status == wasm::CallOutcome::trapped) ADD_FAILURE() << program << " trapped: " << out.trap;
      r.exit_code = out.status == wasm::CallOutcome::exited ? out.exit_code : 0;
      break;
    }
    r.output = console.out;
    r.files = tree(dir);
    return r;
  }

  void compare(const std::string& program, const std::vector<std::string>& args = {}, const std::string& input = "") {
    Outcome expected = node(program, args, input);
    ASSERT_FALSE(expected.output.empty()) << "node gave no output";
    for (bool restarts : {false, true}) {
      Outcome got = phantom(program, args, input, restarts ? 5'000 : 100'000'000, restarts);
      SCOPED_TRACE(restarts ? "with a restart between slices" : "in one go");
      EXPECT_EQ(got.output, expected.output);
      EXPECT_EQ(got.exit_code, expected.exit_code);
      EXPECT_EQ(got.files, expected.files);
    }
  }

  static inline fs::path bin_;
  static inline std::string skip_;
  fs::path work_;
};

TEST_F(WasiPrograms, ArgumentsEnvironmentAndExitCode) { compare("wasi_args", {"one", "two words"}); }
TEST_F(WasiPrograms, Files) { compare("wasi_files"); }
TEST_F(WasiPrograms, NamesThatTryToLeaveTheSandbox) { compare("wasi_escape"); }
TEST_F(WasiPrograms, ClocksSleepAndRandomness) { compare("wasi_time"); }
TEST_F(WasiPrograms, Stdin) { compare("wasi_echo", {}, "first line\nsecond\n"); }
TEST_F(WasiPrograms, Rust) { compare("wasi_rust", {"one", "two words"}); }

}  // namespace
}  // namespace phantom::test
