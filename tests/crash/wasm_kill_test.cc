// WebAssembly under kill -9 (issue 14): a C program compiled to wasm32-wasi runs as the boot thread
// of a world that is killed at random instants, at least 30 times, and resumed each time, in turn by
// `phantom` and by `phantom_shifted` (the same code laid out elsewhere: a rebuilt binary). The world
// prints with --console-commit, so what it printed is exactly the output of committed states: the
// test asserts that the lines of all runs together are exactly the native build's output, every
// step once and in order. So the call resumed mid-function every time, never behind the last
// committed snapshot (a step printed twice would mean it ran from an older state), never losing one.
#include <gtest/gtest.h>
#include <filesystem>
#include <random>
#include <sstream>

#include "support/kill_runs.h"

namespace phantom::test {
namespace {

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
  const std::string expected = output_of(WASM_CHECKSUM_NATIVE, {"wasm_checksum", steps, "4"});
  ASSERT_NE(expected.find("result "), std::string::npos);

  auto dir = std::filesystem::temp_directory_path() / ("phantom-wasm-kill-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  KillPlan plan;
  plan.program = PHANTOM_BINARY;
  if (std::filesystem::exists(PHANTOM_SHIFTED)) plan.alternate_program = PHANTOM_SHIFTED;
  plan.later_runs = {"phantom", "run", "--world", (dir / "w.img").string(), "--console-commit", "--interval", "40"};
  plan.first_run = plan.later_runs;
  plan.first_run.insert(plan.first_run.end(), {"--boot-wasm", WASM_CHECKSUM_WASM, "--", steps, "4"});
  plan.progress = "step ";
  plan.kills = kills;
  KillRuns runs = run_with_kills(plan, random);
  const std::string& printed = runs.output;
  ASSERT_EQ(runs.error, "") << printed.substr(0, 4000);
  EXPECT_EQ(runs.exit_code, 0) << "the last run did not exit cleanly";
  EXPECT_GE(runs.kills, kills) << "the program ended before all kills; make it longer (PHANTOM_WASM_KILL_STEPS)";
  std::vector<std::string> got = lines_of(printed), want = lines_of(expected);
  ASSERT_EQ(got.size(), want.size()) << "printed:\n" << printed.substr(0, 4000);
  for (std::size_t i = 0; i < want.size(); ++i) ASSERT_EQ(got[i], want[i]) << "line " << i + 1;
  std::cerr << "wasm kill test: " << runs.kills << " kills, " << runs.alternate_runs << " runs by phantom_shifted, "
            << want.size() << " lines identical to the native build\n";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace phantom::test
