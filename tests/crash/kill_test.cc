// Kill test: store_torture is killed with SIGKILL at random instants (mid open, mid pre-copy, mid
// write-out, mid commit), each timed from the child's observed progress (see the loop), and restarted, PHANTOM_KILLS times (default 200). After every kill fsck must be clean;
// after every restart the child's own invariant check must pass (the state is one consistent
// snapshot, never a mix) and the restored state must not be older than the last commit the child
// reported durable. On failure the image is kept and the iteration and seed are printed.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include "host/linux/file_block_device.h"
#include "support/child_process.h"
#include "store/fsck.h"
#include "store/store.h"

namespace phantom {
namespace {

using test::Child;
using test::drain;
using Clock = std::chrono::steady_clock;

Child spawn(const std::string& world, const char* mode, const std::string& phase_file) {
  return test::spawn_child(STORE_TORTURE, {STORE_TORTURE, world, mode, phase_file}, false);
}

TEST(KillTest, EveryKillRestoresTheLastDurableSnapshotOrNewer) {
  const std::uint64_t kills = test::env_count("PHANTOM_KILLS", 200);
  const std::uint64_t seed = test::env_count("PHANTOM_SEED", static_cast<std::uint64_t>(::time(nullptr)));
  std::mt19937_64 random(seed);
  std::string world = (std::filesystem::temp_directory_path() / ("phantom-kill-" + std::to_string(::getpid()) + ".img")).string();
  std::filesystem::remove(world);
  std::string phase_file = world + ".phase";
  std::uint64_t last_durable_seq = 0, last_durable_ops = 0, durable_reports = 0, restored_newer = 0;
  std::map<std::string, std::uint64_t> kills_by_phase;
  // The usual time from the start to "restored", from "restored" to the first "durable" (the first
  // snapshot after a lazy restore waits for the prefetcher), and between two "durable" lines.
  test::PhaseDuration opening(20), first_cycle(20), cycle(10);
  // A child that shows no progress for this long is stuck: that fails the test, however loaded the machine.
  const int progress_ms = 60'000;

  for (std::uint64_t kill = 0; kill < kills; ++kill) {
    SCOPED_TRACE("kill " + std::to_string(kill) + ", seed " + std::to_string(seed) + ", image kept at " + world);
    const char* mode = kill % 5 == 4 ? "mprotect" : "uffd";
    std::filesystem::remove(phase_file);
    Child child = spawn(world, mode, phase_file);
    ASSERT_GT(child.pid, 0);
    // Each kill is timed from the child's observed progress, not from its start, so that a slow or
    // loaded machine sees the same phases: one kill in ten at a random instant of the opening (the
    // usual time until "restored"), the others at a random instant of the snapshot cycle that follows
    // the restore or the 1st, 2nd or 3rd commit ("durable"). The child snapshots back to back, so the
    // instant falls in pre-copy, the pause, write-out or the commit in proportion to their lengths.
    std::string output;
    auto began = Clock::now();
    if (random() % 10 == 0) {
      std::this_thread::sleep_for(opening.random_within(random));
    } else {
      std::size_t from = 0;
      bool restored = test::read_next(child.out, output, "restored ", progress_ms, from);
      if (restored) opening.observe(Clock::now() - began);
      auto previous = Clock::now();
      const std::uint64_t commits = random() % 4;
      bool progressed = restored;
      for (std::uint64_t c = 0; progressed && c < commits; ++c) {
        progressed = test::read_next(child.out, output, "durable ", progress_ms, from);
        auto now = Clock::now();
        (c == 0 ? first_cycle : cycle).observe(now - previous);
        previous = now;
      }
      if (!progressed) {
        ::kill(child.pid, SIGKILL);
        ::waitpid(child.pid, nullptr, 0);
        output += drain(child.out);
        FAIL() << "the child did not restore and commit within " << progress_ms << " ms; output:\n" << output;
      }
      std::this_thread::sleep_for((commits == 0 ? first_cycle : cycle).random_within(random));
    }
    ::kill(child.pid, SIGKILL);
    int status = 0;
    ::waitpid(child.pid, &status, 0);
    {  // the phase the child was in when it died (opening: no phase file yet)
      std::ifstream phase(phase_file, std::ios::binary);
      int byte = phase.get();
      kills_by_phase[byte < 0 ? "opening" : store::store_state_name(static_cast<store::StoreState>(byte))]++;
    }
    output += drain(child.out);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "child exited by itself (status " << status << "); output:\n" << output;

    std::istringstream lines(output);
    std::string word;
    std::uint64_t seq = 0, ops = 0;
    bool restored_seen = false;
    while (lines >> word >> seq >> ops) {
      if (word == "restored") {
        restored_seen = true;
        ASSERT_GE(ops, last_durable_ops) << "restored state (snapshot " << seq << ") is older than durable snapshot "
                                         << last_durable_seq;
        if (seq == last_durable_seq) {
          ASSERT_EQ(ops, last_durable_ops) << "snapshot " << seq << " changed";
        }
        if (seq > last_durable_seq) ++restored_newer;
        ASSERT_GE(seq, last_durable_seq);
      } else if (word == "durable") {
        ASSERT_GT(seq, last_durable_seq);
        last_durable_seq = seq;
        last_durable_ops = ops;
        ++durable_reports;
      }
    }
    // A child killed before it finished opening prints nothing, which is fine; one that printed must
    // have started with "restored" (the invariant check passed).
    if (!output.empty()) {
      ASSERT_TRUE(restored_seen) << output;
    }

    auto device = host::linux_impl::FileBlockDevice::open(world, host::OpenMode::read_only);
    if (!device.ok() && device.error().code == Errc::not_found) continue;  // killed before creating the file
    ASSERT_TRUE(device.ok()) << device.error().message;
    auto report = store::fsck(**device, {});
    ASSERT_TRUE(report.ok()) << report.error().message;
    for (const auto& e : report->errors) ADD_FAILURE() << e;
    ASSERT_TRUE(report->clean());
  }
  // The run must really have exercised commits and restores, and killed inside the phases of a
  // snapshot: pre-copy and the pause (capturing), write-out (writing) and the commit (flushing).
  EXPECT_GT(durable_reports, kills);
  EXPECT_GT(last_durable_seq, kills / 2);
  std::string phases;
  for (auto& [name, count] : kills_by_phase) phases += fmt::format(" {} {}", name, count);
  // Write-out is fast, so only about 2% of kills land in "writing" itself; requiring one of those in
  // every run would make the test flaky. Writing and flushing together are the write-out and commit.
  if (kills >= 100) {
    EXPECT_GT(kills_by_phase["capturing"], 0u) << phases;
    EXPECT_GT(kills_by_phase["writing"] + kills_by_phase["flushing"], 0u) << phases;
    EXPECT_GT(kills_by_phase["flushing"], 0u) << phases;
  }
  RecordProperty("kills", static_cast<int>(kills));
  RecordProperty("durable_reports", static_cast<int>(durable_reports));
  RecordProperty("restored_newer_than_reported", static_cast<int>(restored_newer));
  std::printf("kill test: %lu kills, %lu commits reported durable, %lu restores found a commit newer than reported\n"
              "kill test: kills by phase:%s\n"
              "kill test: usual opening %.1f ms, first snapshot %.1f ms, snapshot cycle %.1f ms\n",
              kills, durable_reports, restored_newer, phases.c_str(), opening.ms(), first_cycle.ms(), cycle.ms());
  std::filesystem::remove(world);
  std::filesystem::remove(phase_file);
}

}  // namespace
}  // namespace phantom
