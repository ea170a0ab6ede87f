// WebAssembly under kill -9 (issue 14): a C program compiled to wasm32-wasi runs as the boot thread
// of a world that is killed at random instants, at least 30 times, and resumed each time, in turn by
// `phantom` and by `phantom_shifted` (the same code laid out elsewhere: a rebuilt binary). The world
// prints with --console-commit, so what it printed is exactly the output of committed states: the
// test asserts that the lines of all runs together are exactly the native build's output, every
// step once and in order. So the call resumed mid-function every time, never behind the last
// committed snapshot (a step printed twice would mean it ran from an older state), never losing one.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <random>
#include <sstream>

#include "support/child_process.h"

namespace phantom::test {
namespace {

std::string run_native(const std::vector<std::string>& args) {
  Child child = spawn_child(WASM_CHECKSUM_NATIVE, args, false);
  std::string out = drain(child.out);
  int status = 0;
  ::waitpid(child.pid, &status, 0);
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(WasmKill, AChecksumResumesMidCallAfterThirtyKillsAndMatchesTheNativeBuild) {
  if (!std::filesystem::exists(WASM_CHECKSUM_WASM)) GTEST_SKIP() << "no wasm32-wasi toolchain: " << WASM_CHECKSUM_WASM << " was not built";
  const std::string steps = std::to_string(env_count("PHANTOM_WASM_KILL_STEPS", 1500));
  const std::uint64_t kills = env_count("PHANTOM_WASM_KILLS", 30);
  std::mt19937_64 random(env_count("PHANTOM_KILL_SEED", std::random_device{}()));
  const std::string expected = run_native({"wasm_checksum", steps, "4"});
  ASSERT_NE(expected.find("result "), std::string::npos);

  auto dir = std::filesystem::temp_directory_path() / ("phantom-wasm-kill-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string world = (dir / "w.img").string();
  const std::vector<std::string> common = {"--world", world, "--console-commit", "--interval", "40"};

  std::string printed;  // stdout of every run, in order
  PhaseDuration step_time(50);
  std::uint64_t done_kills = 0, shifted_runs = 0;
  for (std::uint64_t run = 0;; ++run) {
    bool shifted = run % 2 == 1 && std::filesystem::exists(PHANTOM_SHIFTED);
    shifted_runs += shifted;
    std::vector<std::string> args = {"phantom", "run"};
    args.insert(args.end(), common.begin(), common.end());
    if (run == 0) {
      args.insert(args.end(), {"--boot-wasm", WASM_CHECKSUM_WASM, "--", steps, "4"});
    }
    Child child = spawn_child(shifted ? PHANTOM_SHIFTED : PHANTOM_BINARY, args, false);
    ASSERT_GT(child.pid, 0);
    std::string out;
    if (done_kills < kills) {
      // Kill at a random instant after the run has shown progress of its own (a new step line).
      std::size_t from = 0;
      auto t0 = std::chrono::steady_clock::now();
      bool progressed = read_next(child.out, out, "step ", 120'000, from);
      if (progressed) {
        step_time.observe(std::chrono::steady_clock::now() - t0);
        std::this_thread::sleep_for(step_time.random_within(random, 2.0));
        ::kill(child.pid, SIGKILL);
        ++done_kills;
      }
      out += drain(child.out);
      int status = 0;
      ::waitpid(child.pid, &status, 0);
      printed += out;
      if (progressed) continue;
      // No progress: the program ended before the kills were done (or the run failed).
      ASSERT_NE(out.find("result "), std::string::npos) << "run " << run << " made no progress:\n" << out;
      break;
    }
    out = drain(child.out);
    int status = 0;
    ::waitpid(child.pid, &status, 0);
    printed += out;
    ASSERT_TRUE(WIFEXITED(status)) << "the last run did not exit";
    EXPECT_EQ(WEXITSTATUS(status), 0);
    break;
  }
  EXPECT_GE(done_kills, kills) << "the program ended before all kills; make it longer (PHANTOM_WASM_KILL_STEPS)";
  std::vector<std::string> got = lines_of(printed), want = lines_of(expected);
  ASSERT_EQ(got.size(), want.size()) << "printed:\n" << printed.substr(0, 4000);
  for (std::size_t i = 0; i < want.size(); ++i) ASSERT_EQ(got[i], want[i]) << "line " << i + 1;
  std::cerr << "wasm kill test: " << done_kills << " kills, " << shifted_runs << " runs by phantom_shifted, "
            << want.size() << " lines identical to the native build\n";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace phantom::test
