// End-to-end crash test: the real `phantom` binary runs the sensor example (examples/sensors, compiled by
// the build) and is killed with SIGKILL, PHANTOM_SENSOR_KILLS times (100 in `make test`, 1,000 in
// `make soak`), then restarted. Kills land at random instants, right after a snapshot's state was
// captured (while it is being written out), and during the first boot of fresh worlds (while classes
// load and the 30,000 sensors are created). Every kill is timed from the child's observed progress (a
// line it printed), never from its start alone, so that a loaded machine sees the same phases. After
// every restart the program's own self-check must pass, its round counter must never be behind the
// last snapshot the system reported committed, and `phantom fsck` must be clean at the end. A failure
// prints the seed; the world is kept.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include "support/child_process.h"
#include "support/round_progress.h"

namespace phantom {
namespace {

using Clock = std::chrono::steady_clock;

test::Child start(const std::string& world) {
  return test::spawn_child(PHANTOM_BINARY,
                           {"phantom", "run", "--world", world, "--boot", ".demo.sensors", "--classpath", CLASSES_DIR,
                            "--interval", "100", "--arena-size", "256M", "--log-snapshots"},
                           true);
}

std::string kill_and_collect(test::Child& child, std::string out) {
  ::kill(child.pid, SIGKILL);
  int status = 0;
  ::waitpid(child.pid, &status, 0);
  return out + test::drain(child.out);
}

int fsck(const std::string& world, std::string& report) {
  test::Child c = test::spawn_child(PHANTOM_BINARY, {"phantom", "fsck", world}, true);
  int status = 0;
  ::waitpid(c.pid, &status, 0);
  report = test::drain(c.out);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(SensorsKillTest, TheSensorExampleSurvivesKillsAtAnyInstant) {
  const int kills = static_cast<int>(test::env_count("PHANTOM_SENSOR_KILLS", 100));
  const std::uint64_t seed = test::env_count("PHANTOM_SEED", static_cast<std::uint64_t>(::time(nullptr)));
  std::mt19937_64 random(seed);
  auto dir = std::filesystem::temp_directory_path() / ("phantom-sensors-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string world = (dir / "sensors.img").string();
  test::RoundProgress progress;
  int during_writeout = 0, during_boot = 0;
  // The usual time from the start to the first round, and between two commits (interval 100 ms).
  test::PhaseDuration startup(200), cycle(120);
  const int progress_ms = 60'000;  // no progress for this long: the child is stuck, however loaded the machine
  for (int kill = 0; kill < kills; ++kill) {
    SCOPED_TRACE("kill " + std::to_string(kill) + ", seed " + std::to_string(seed) + ", world kept at " + world);
    int mode = static_cast<int>(random() % 10);
    if (mode == 0) {
      // A fresh world killed during its first boot, then booted again to its first committed round.
      std::string fresh = (dir / ("boot" + std::to_string(kill) + ".img")).string();
      test::Child c = start(fresh);
      std::string out;
      // "booting" is printed just before the boot class is loaded: kill while classes load and the
      // sensors are created.
      test::read_until(c.out, out, "booting .demo.sensors", progress_ms);
      test::read_until(c.out, out, {}, static_cast<int>(random() % 25));
      out = kill_and_collect(c, out);
      ASSERT_EQ(out.find("self-check failed"), std::string::npos) << out;
      test::Child again = start(fresh);
      std::string out2;
      EXPECT_TRUE(test::read_until(again.out, out2, "round 3 ok", progress_ms)) << out2;
      out2 = kill_and_collect(again, out2);
      test::RoundProgress fresh_progress;
      test::check_rounds(out2, fresh_progress);
      std::string report;
      EXPECT_EQ(fsck(fresh, report), 0) << report;
      std::filesystem::remove(fresh);
      ++during_boot;
      continue;
    }
    test::Child child = start(world);
    ASSERT_GT(child.pid, 0);
    std::string out;
    // Every kill is timed from the child's observed progress, so that a slow or loaded machine sees the
    // same phases as an idle one.
    if (mode <= 3) {
      // Right after a capture: the snapshot is being written out when the process dies.
      std::size_t from = 0;
      bool captured = test::read_next(child.out, out, "phantom: snapshot captured\n", progress_ms, from);
      if (!captured) out = kill_and_collect(child, out);
      ASSERT_TRUE(captured) << "no snapshot within " << progress_ms << " ms:\n" << out.substr(0, 4000);
      ++during_writeout;
    } else if (mode == 4) {
      // While the world resumes: a random instant of the usual time until its first round.
      std::this_thread::sleep_for(startup.random_within(random));
    } else {
      // A random instant of a snapshot cycle (interval and snapshot) after the first round, or after
      // the 1st or 2nd commit: rounds running, a snapshot pre-copying, paused, writing or committing.
      auto began = Clock::now();
      std::size_t from = 0;
      bool progressed = test::read_next(child.out, out, " ok", progress_ms, from);
      if (progressed) startup.observe(Clock::now() - began);
      auto previous = Clock::now();
      const int commits = static_cast<int>(random() % 3);
      for (int c = 0; progressed && c < commits; ++c) {
        progressed = test::read_next(child.out, out, " committed", progress_ms, from);
        if (c > 0) cycle.observe(Clock::now() - previous);
        previous = Clock::now();
      }
      if (!progressed) out = kill_and_collect(child, out);
      ASSERT_TRUE(progressed) << "no round or no commit within " << progress_ms << " ms:\n" << out.substr(0, 4000);
      std::this_thread::sleep_for(cycle.random_within(random));
    }
    out = kill_and_collect(child, out);
    test::check_rounds(out, progress);
    if (HasFatalFailure()) return;
  }
  std::printf("sensors kill test: %d kills (%d during write-out, %d during a first boot), %d resumed runs, %d commits, "
              "last durable round %ld\n",
              kills, during_writeout, during_boot, progress.resumed, progress.commits, progress.durable);
  std::printf("sensors kill test: usual start-up %.1f ms, snapshot cycle %.1f ms\n", startup.ms(), cycle.ms());
  EXPECT_GT(progress.durable, 0) << "the program must make durable progress";
  std::string report;
  EXPECT_EQ(fsck(world, report), 0) << report;
  if (!HasFailure()) std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace phantom

namespace phantom {
namespace {

// SIGTERM takes a last snapshot after the VM has stopped, so nothing is lost: the first round printed
// after the restart is exactly the one after the last round printed before the shutdown.
TEST(SensorsShutdownTest, SigtermLosesNothing) {
  auto dir = std::filesystem::temp_directory_path() / ("phantom-sensors-term-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::string world = (dir / "sensors.img").string();
  for (int cycle = 0; cycle < 3; ++cycle) {
    SCOPED_TRACE("cycle " + std::to_string(cycle) + ", world kept at " + world);
    test::Child child = start(world);
    std::string out;
    // From observed progress, not from the spawn: the first round, then a little more each cycle.
    test::read_until(child.out, out, " ok\n", 20000);
    test::read_until(child.out, out, {}, 100 + 200 * cycle);
    ::kill(child.pid, SIGTERM);
    int status = 0;
    ::waitpid(child.pid, &status, 0);
    out += test::drain(child.out);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << out;
    ASSERT_NE(out.find("committed (shutdown"), std::string::npos) << out;
    long last = 0, round;
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line))
      if (std::sscanf(line.c_str(), "round %ld ok", &round) == 1) last = round;
    ASSERT_GT(last, 0) << out;

    test::Child again = start(world);
    std::string out2;
    test::read_until(again.out, out2, "ok\n", 20000);
    ::kill(again.pid, SIGTERM);
    ::waitpid(again.pid, &status, 0);
    out2 += test::drain(again.out);
    long first = 0;
    std::istringstream lines2(out2);
    while (std::getline(lines2, line))
      if (std::sscanf(line.c_str(), "round %ld ok", &round) == 1) {
        first = round;
        break;
      }
    EXPECT_EQ(first, last + 1) << "before:\n" << out.substr(out.size() > 2000 ? out.size() - 2000 : 0) << "\nafter:\n" << out2.substr(0, 2000);
  }
  std::string report;
  EXPECT_EQ(fsck(world, report), 0) << report;
  if (!HasFailure()) std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace phantom
