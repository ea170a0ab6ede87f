// The WebAssembly examples (examples/wasm/) under kill -9: each runs as the boot thread of a new world
// (`phantom run --boot-wasm`, --console-commit) that is killed with SIGKILL at random instants timed
// from its progress lines and resumed each time. With --console-commit a world prints only the output
// of committed states, so the output of all runs together must be exactly what one uninterrupted run
// prints: that of the native build of the same C, C++ or Rust source, or, for AssemblyScript, of Node
// running the same .wasm, with the count known from the literature. A step lost or done twice, a call
// not resumed where it stopped, shows up as a line missing, repeated or different.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "support/child_process.h"
#include "support/kill_runs.h"

namespace phantom::test {
namespace {

struct Example {
  std::string wasm;                // built by examples/wasm/CMakeLists.txt
  std::vector<std::string> args;   // sized for a few seconds under Phantom
  std::string progress;            // how its progress lines start
};

// Runs `example` killed env PHANTOM_WASM_EXAMPLE_KILLS times (default 5) and returns all it printed.
std::string killed_and_resumed(const Example& example, const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("phantom-wasm-example-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string world = (dir / "w.img").string();
  KillPlan plan;
  plan.program = PHANTOM_BINARY;
  plan.later_runs = {"phantom", "run", "--world", world, "--console-commit", "--interval", "40", "--arena-size", "256M"};
  plan.first_run = plan.later_runs;
  plan.first_run.insert(plan.first_run.end(), {"--boot-wasm", example.wasm, "--"});
  plan.first_run.insert(plan.first_run.end(), example.args.begin(), example.args.end());
  plan.progress = example.progress;
  plan.kills = env_count("PHANTOM_WASM_EXAMPLE_KILLS", 5);
  const std::uint64_t seed = env_count("PHANTOM_KILL_SEED", std::random_device{}());
  std::mt19937_64 random(seed);
  auto start = std::chrono::steady_clock::now();
  KillRuns runs = run_with_kills(plan, random);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(runs.error, "") << name;
  EXPECT_EQ(runs.exit_code, 0) << name << " did not end well; it printed:\n" << runs.output;
  EXPECT_GE(runs.kills, plan.kills) << name << " ended before all kills; give it more work";
  std::cerr << name << ": " << runs.kills << " kills, " << seconds << " s (PHANTOM_KILL_SEED=" << seed << ")\n";
  std::filesystem::remove_all(dir);
  return runs.output;
}

// A C, C++ or Rust example: the killed wasm runs print exactly what the native build prints.
void expect_like_native(const Example& example, const std::string& native, const std::string& name) {
  if (!std::filesystem::exists(example.wasm) || !std::filesystem::exists(native))
    GTEST_SKIP() << name << " not built (its toolchain is missing; see the cmake messages): " << example.wasm;
  int native_exit = 0;
  std::vector<std::string> argv = {name};
  argv.insert(argv.end(), example.args.begin(), example.args.end());
  const std::string expected = output_of(native, argv, &native_exit);
  ASSERT_EQ(native_exit, 0);
  ASSERT_NE(expected.find("result"), std::string::npos) << expected;
  EXPECT_EQ(killed_and_resumed(example, name), expected);
}

TEST(WasmExamplesKill, KeyValueStoreInCMatchesItsNativeBuild) {
  expect_like_native({EXAMPLES_DIR "/kvstore.wasm", {"60", "10000"}, "step "}, EXAMPLES_DIR "/kvstore_native",
                     "kvstore");
}

TEST(WasmExamplesKill, SensorFilterInCxxMatchesItsNativeBuild) {
  expect_like_native({EXAMPLES_DIR "/sensor_filter.wasm", {"60", "4000", "32"}, "step "},
                     EXAMPLES_DIR "/sensor_filter_native", "sensor_filter");
}

TEST(WasmExamplesKill, PrimeSieveInRustMatchesItsNativeBuild) {
  expect_like_native({EXAMPLES_DIR "/primes.wasm", {"80000000", "1000000"}, "below "}, EXAMPLES_DIR "/primes_native",
                     "primes");
}

// AssemblyScript has no native build: the reference is Node (V8) running the same module under
// node:wasi, and the total is the published count of solutions for 14 queens (OEIS A000170).
TEST(WasmExamplesKill, QueensInAssemblyScriptMatchesNodeAndTheKnownCount) {
  const Example queens{EXAMPLES_DIR "/queens-as/queens.wasm", {"14"}, "queens at "};
  if (!std::filesystem::exists(queens.wasm))
    GTEST_SKIP() << "queens.wasm not built (needs node, npm and the npm registry; see the build log)";
  const std::string printed = killed_and_resumed(queens, "queens");
  EXPECT_NE(printed.find("\nresult: 365596 solutions for 14 queens\n"), std::string::npos) << printed;
  if (!std::filesystem::exists("/usr/bin/node")) {
    std::cerr << "queens: no /usr/bin/node, compared with the known count only\n";
    return;
  }
  int node_exit = 0;
  // The flag lets Node 18 (Debian 12) run node:wasi; later versions ignore it.
  const std::string expected = output_of(
      "/usr/bin/node", {"node", "--no-warnings", "--experimental-wasi-unstable-preview1", RUN_NODE, queens.wasm, "14"},
      &node_exit);
  ASSERT_EQ(node_exit, 0) << expected;
  EXPECT_EQ(printed, expected);
}

}  // namespace
}  // namespace phantom::test
