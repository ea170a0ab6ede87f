// Worlds move between architectures (issue 17, docs/image-format.md "Portability"): a world runs on the
// x86-64 build, is killed with SIGKILL, resumes on the aarch64 build under qemu-aarch64 and makes
// progress with its self-checks passing, is killed again, and resumes on x86-64. Two worlds make the
// trip: the sensors example, and the travel program (tests/crash/travel.ph), whose threads are caught
// 2,000 frames deep in a recursion and asleep on timers, and whose arena is mapped elsewhere on aarch64
// (`--arena-anywhere`, as on a kernel with 39-bit addresses). `phantom fsck` of both builds must be clean
// after every step. The aarch64 build comes from `make cross-aarch64`; without it the test is skipped,
// unless PHANTOM_REQUIRE_AARCH64 is set (as `make test` does), when its absence is a failure.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/round_progress.h"

namespace phantom {
namespace {

namespace fs = std::filesystem;

// How one architecture's phantom is started: natively, or under user-mode emulation.
struct Build {
  std::string name;
  std::string program;              // what execv runs
  std::vector<std::string> prefix;  // argv up to the phantom's own arguments
};

Build native_build() { return {"x86-64", PHANTOM_BINARY, {"phantom"}}; }
Build aarch64_build() {
  // The arm64 libraries of Debian's multiarch libc6:arm64 (see cmake/aarch64-linux-gnu.cmake).
  return {"aarch64", QEMU_AARCH64, {"qemu-aarch64", AARCH64_PHANTOM}};
}

std::vector<std::string> argv_of(const Build& build, std::vector<std::string> args) {
  std::vector<std::string> argv = build.prefix;
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

// Runs `phantom <args>` of a build to its end; returns its exit code and output.
int run_to_end(const Build& build, const std::vector<std::string>& args, std::string& out) {
  test::Child c = test::spawn_child(build.program.c_str(), argv_of(build, args), true);
  out = test::drain(c.out);
  int status = 0;
  ::waitpid(c.pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Both builds' fsck must find the image clean.
void expect_fsck_clean(const std::string& world, const std::string& after) {
  for (const Build& build : {native_build(), aarch64_build()}) {
    std::string report;
    EXPECT_EQ(run_to_end(build, {"fsck", world}, report), 0) << build.name << " fsck after " << after << ":\n" << report;
  }
}

class CrossArch : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(AARCH64_PHANTOM) || !fs::exists(QEMU_AARCH64)) {
      std::string why = std::string("no aarch64 build at ") + AARCH64_PHANTOM + " or no " + QEMU_AARCH64 +
                        " (make cross-aarch64 builds it)";
      if (std::getenv("PHANTOM_REQUIRE_AARCH64")) FAIL() << why;
      GTEST_SKIP() << why;
    }
    dir_ = fs::temp_directory_path() / ("phantom-cross-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    world_ = (dir_ / "w.img").string();
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // One leg of the trip: the world runs on `build` until it has printed `rounds` more rounds and then
  // seen `commits` more committed snapshots, and is killed with SIGKILL. Every wait is for the world's
  // own progress, with the patience an emulated build under load needs.
  std::string leg(const Build& build, const std::vector<std::string>& run_args, int rounds, int commits) {
    SCOPED_TRACE("on " + build.name);
    std::vector<std::string> args = {"run", "--world", world_};
    args.insert(args.end(), run_args.begin(), run_args.end());
    test::Child child = test::spawn_child(build.program.c_str(), argv_of(build, args), true);
    EXPECT_GT(child.pid, 0);
    std::string out;
    std::size_t from = 0;
    bool progressed = true;
    for (int r = 0; progressed && r < rounds; ++r) progressed = test::read_next(child.out, out, " ok\n", patience_ms, from);
    for (int c = 0; progressed && c < commits; ++c) progressed = test::read_next(child.out, out, " committed", patience_ms, from);
    ::kill(child.pid, SIGKILL);
    int status = 0;
    ::waitpid(child.pid, &status, 0);
    out += test::drain(child.out);
    EXPECT_TRUE(progressed) << "no progress on " << build.name << " within " << patience_ms << " ms:\n" << out.substr(0, 4000);
    return out;
  }

  static constexpr int patience_ms = 180'000;
  fs::path dir_;
  std::string world_;
};

TEST_F(CrossArch, TheSensorWorldGoesToArmAndBack) {
  const std::vector<std::string> args = {"--boot", ".demo.sensors", "--classpath", CLASSES_DIR, "--interval", "200",
                                         "--arena-size", "256M", "--log-snapshots"};
  test::RoundProgress progress;
  const Build trip[] = {native_build(), aarch64_build(), native_build()};
  for (int step = 0; step < 3; ++step) {
    const Build& build = trip[step];
    std::string out = leg(build, args, 2, 2);
    SCOPED_TRACE("step " + std::to_string(step) + " on " + build.name + ", world kept at " + world_);
    test::check_rounds(out, progress);
    if (HasFatalFailure()) return;
    if (step > 0) {
      EXPECT_NE(out.find("resumed snapshot"), std::string::npos) << out.substr(0, 2000);
    }
    expect_fsck_clean(world_, "step " + std::to_string(step) + " on " + build.name);
  }
  EXPECT_EQ(progress.resumed, 2);
  EXPECT_GT(progress.durable, 0);
}

TEST_F(CrossArch, ADeepRecursionAndSleepingThreadsResumeOnTheOtherArchitecture) {
  // Compiled once, by the native build: class files are the same on both.
  fs::create_directories(dir_ / "classes");
  std::string compiled;
  ASSERT_EQ(run_to_end(native_build(), {"compile", "-o", (dir_ / "classes").string(), TRAVEL_PH}, compiled), 0) << compiled;
  const std::vector<std::string> args = {"--boot", ".test.program", "--classpath", (dir_ / "classes").string(),
                                         "--interval", "150", "--arena-size", "64M", "--log-snapshots"};
  test::RoundProgress progress;
  long durable_wake = 0;  // the sleeper's last wake-up printed before a committed snapshot's capture
  const Build trip[] = {native_build(), aarch64_build(), native_build(), aarch64_build()};
  for (int step = 0; step < 4; ++step) {
    const Build& build = trip[step];
    // On aarch64 the arena is also mapped away from its recorded address, as on a kernel with 39-bit
    // addresses: frames, threads and timers must not care where the arena is.
    std::vector<std::string> leg_args = args;
    if (step % 2 == 1) leg_args.push_back("--arena-anywhere");
    // At least one wake-up of the one-second sleeper per leg: 12 rounds are over a second of sleeps.
    std::string out = leg(build, leg_args, 12, 2);
    SCOPED_TRACE("step " + std::to_string(step) + " on " + build.name + ", world kept at " + world_);
    if (step % 2 == 1) {
      EXPECT_NE(out.find("not at its recorded"), std::string::npos) << out.substr(0, 2000);
    }
    test::check_rounds(out, progress);
    if (HasFatalFailure()) return;
    // The sleeper counts on from its last durable wake-up, as the rounds do.
    std::istringstream lines(out);
    std::string line;
    long wake = 0, printed = 0, at_capture = 0;
    while (std::getline(lines, line)) {
      if (std::sscanf(line.c_str(), "woke %ld", &wake) == 1) {
        if (printed == 0) EXPECT_GT(wake, durable_wake) << "the sleeper came back behind its last durable wake-up";
        else EXPECT_EQ(wake, printed + 1);
        printed = wake;
      } else if (line == "phantom: snapshot captured") {
        at_capture = printed;
      } else if (line.find(" committed") != std::string::npos) {
        durable_wake = std::max(durable_wake, at_capture);
      }
    }
    EXPECT_GT(printed, 0) << "the sleeping thread never woke on " << build.name << ":\n" << out.substr(0, 3000);
    if (step > 0) {
      EXPECT_GT(printed, 1) << "the sleeper started over on " << build.name;
    }
    expect_fsck_clean(world_, "step " + std::to_string(step) + " on " + build.name);
  }
  EXPECT_EQ(progress.resumed, 3);
}

}  // namespace
}  // namespace phantom
