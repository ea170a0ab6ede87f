// VM kill test: the real `phantom run` runs a program of three VM threads that keep mutating their
// objects and check them on every step; it is killed with SIGKILL at random instants (timed from its
// observed progress: during start-up, or within a snapshot cycle after a commit) and restarted,
// PHANTOM_VM_KILLS times (default 60). After each restart every thread must continue (it prints again),
// its self-check must never fail, and no thread may come back behind the last snapshot the system
// reported committed: each thread's first progress line after a restart must be newer than the
// last one it printed before that snapshot's state was captured. fsck must be clean at the end.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include "support/assembled_class.h"
#include "support/child_process.h"

namespace phantom {
namespace {

constexpr const char* worker_source = R"(.class .k.worker
.fields 3               ; 0 id, 1 count, 2 check = 3 * count + 1
.method init 16
  arg_count 1
  os_get32 0
  os_save8 0
  iconst_0
  i2o
  os_save8 1
  iconst_1
  i2o
  os_save8 2
  summon_null
  ret
.end
.method run 8
  arg_count 1
loop:
  os_load8 1
  o2i
  const 3
  imul
  iconst_1
  isum
  os_load8 2
  o2i
  isublu
  jz consistent
  sconst_bin "self-check failed: check != 3 * count + 1"
  throw
consistent:
  os_load8 1
  o2i
  iconst_1
  isum
  is_dup
  i2o
  os_save8 1
  const 3
  imul
  iconst_1
  isum
  i2o
  os_save8 2
  os_load8 1
  o2i
  const 5000
  iremlu
  jz report
  jmp loop
report:
  os_get32 0
  sconst_bin "\n"
  os_load8 1
  sconst_bin " "
  os_load8 0
  sconst_bin "tick "
  call 16 5
  os_drop
  jmp loop
.end
)";

constexpr const char* boot_source = R"(.class .k.boot
.method run 8
  arg_count 1
  stack_reserve 2 0
  const 3
spawn:
  summon_by_name .k.worker
  new
  os_set32 1
  os_get32 1
  is_dup
  i2o
  call 16 1
  os_drop
  os_get32 0
  os_get32 1
  call 18 1
  os_drop
  djnz spawn
  is_drop
  summon_null
  ret
.end
)";

using test::drain;
using Clock = std::chrono::steady_clock;

test::Child spawn(const std::vector<std::string>& args) { return test::spawn_child(PHANTOM_BINARY, args, true); }

TEST(VmKillTest, ThreadsContinueAndNothingOlderThanTheLastCommitComesBack) {
  const int kills = static_cast<int>(test::env_count("PHANTOM_VM_KILLS", 60));
  const std::uint64_t seed = test::env_count("PHANTOM_SEED", static_cast<std::uint64_t>(::time(nullptr)));
  std::mt19937_64 random(seed);
  auto dir = std::filesystem::temp_directory_path() / ("phantom-vmkill-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  ASSERT_EQ(test::write_assembled_class(dir, worker_source), "");
  ASSERT_EQ(test::write_assembled_class(dir, boot_source), "");
  std::string world = (dir / "world.img").string();

  std::map<int, long> durable;  // thread id -> last tick printed before the last committed capture
  int resumed_runs = 0, commits_seen = 0;
  // The usual time from the start to the first progress line, and between two commits.
  test::PhaseDuration startup(150), cycle(50);
  const int progress_ms = 60'000;  // no progress for this long: the child is stuck, however loaded the machine
  for (int kill = 0; kill < kills; ++kill) {
    SCOPED_TRACE("kill " + std::to_string(kill) + ", seed " + std::to_string(seed) + ", world kept at " + world);
    test::Child child = spawn({"phantom", "run", "--world", world, "--boot", ".k.boot", "--classpath", dir.string(),
                         "--interval", "40", "--arena-size", "128M", "--log-snapshots"});
    ASSERT_GT(child.pid, 0);
    // Each kill is timed from the child's observed progress, so that a slow or loaded machine sees the
    // same phases: one kill in six at a random instant of the start-up (the usual time until the first
    // thread reports progress: opening or booting the world, the first bytecodes), the others at a
    // random instant of a snapshot cycle (the 40 ms interval and the snapshot) after the first progress
    // line or after the 1st, 2nd or 3rd commit.
    std::string out;
    auto began = Clock::now();
    if (random() % 6 == 0) {
      std::this_thread::sleep_for(startup.random_within(random));
    } else {
      std::size_t from = 0;
      bool progressed = test::read_next(child.out, out, "tick ", progress_ms, from);
      if (progressed) startup.observe(Clock::now() - began);
      auto previous = Clock::now();
      const int commits = static_cast<int>(random() % 4);
      for (int c = 0; progressed && c < commits; ++c) {
        progressed = test::read_next(child.out, out, " committed", progress_ms, from);
        if (c > 0) cycle.observe(Clock::now() - previous);
        previous = Clock::now();
      }
      if (!progressed) {
        ::kill(child.pid, SIGKILL);
        ::waitpid(child.pid, nullptr, 0);
        FAIL() << "no progress or no commit within " << progress_ms << " ms; output:\n" << out + drain(child.out);
      }
      std::this_thread::sleep_for(cycle.random_within(random));
    }
    ::kill(child.pid, SIGKILL);
    int status = 0;
    ::waitpid(child.pid, &status, 0);
    out += drain(child.out);
    ASSERT_EQ(out.find("self-check failed"), std::string::npos) << out;
    ASSERT_EQ(out.find("uncaught exception"), std::string::npos) << out;
    ASSERT_EQ(out.find("cannot"), std::string::npos) << out;
    if (out.find("resumed snapshot") != std::string::npos) ++resumed_runs;

    std::map<int, long> printed, at_capture, first_after_start;
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line)) {
      int id;
      long count;
      if (std::sscanf(line.c_str(), "tick %d %ld", &id, &count) == 2) {
        if (!first_after_start.count(id)) {
          // The first progress of each thread in this run: never behind the last durable state.
          if (durable.count(id)) {
            EXPECT_GT(count, durable[id]) << "thread " << id << " went back\n" << out;
          }
          first_after_start[id] = count;
        }
        EXPECT_GT(count, printed.count(id) ? printed[id] : 0) << out;
        printed[id] = count;
      } else if (line == "phantom: snapshot captured") {
        at_capture = printed;
      } else if (line.find("phantom: snapshot ") == 0 && line.find(" committed") != std::string::npos) {
        ++commits_seen;
        for (auto [tid, c] : at_capture) durable[tid] = std::max(durable[tid], c);
      }
    }
  }
  EXPECT_GT(resumed_runs, kills / 2) << "too few runs resumed a committed world";
  EXPECT_EQ(durable.size(), 3u) << "every thread must have made durable progress";
  std::printf("vm kill test: %d kills, %d resumed runs, %d commits seen; usual start-up %.1f ms, snapshot cycle %.1f ms\n",
              kills, resumed_runs, commits_seen, startup.ms(), cycle.ms());
  // The image is clean.
  test::Child fsck = spawn({"phantom", "fsck", world});
  int status = 0;
  ::waitpid(fsck.pid, &status, 0);
  std::string report = drain(fsck.out);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << report;
  if (!HasFailure()) std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace phantom
