// Crash-loop recovery end to end (issue 15, docs/faults.md): real `phantom run` processes of a world
// whose program makes the process fail at the same state on every resume (tests/system/fault_program.ph,
// through flt:, served with --test-faults). The world is started again after each failure, as systemd
// would, until the policy acts; the event log (`phantom events --json`) must tell the story, and no
// committed snapshot may be lost except by the rollback the policy chose. No kill here is timed: the
// failures come from the program's own progress; the only signal sent is a SIGTERM for a clean stop,
// after lines the world printed.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/program_test.h"
#include "support/shell_command.h"

namespace phantom {
namespace {

struct RunOutcome {
  std::string out;          // stdout and stderr, in order
  int exit_code = -1;       // when it exited
  int signal = 0;           // when a signal ended it
};

// The numbers after `prefix` in `text`, in order.
std::vector<std::uint64_t> numbers_after(const std::string& text, const std::string& prefix) {
  std::vector<std::uint64_t> out;
  std::regex pattern(prefix + "([0-9]+)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), pattern); it != std::sregex_iterator(); ++it)
    out.push_back(std::stoull((*it)[1]));
  return out;
}

class CrashLoopTest : public test::ProgramTest {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(compile_program("phantom_faults_", PHANTOM_BINARY, PROGRAM)); }

  std::string world() const { return (dir_ / "w.img").string(); }

  std::vector<std::string> run_args(const std::string& boot, const std::vector<std::string>& extra) const {
    std::vector<std::string> args = {"phantom", "run", "--world", world(), "--boot", boot, "--classpath",
                                     (dir_ / "classes").string(), "--arena-size", "64M", "--test-faults", "--log-snapshots"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  // Runs the world until the process ends by itself (at most 60 s), or, when `stop_after` appears in
  // its output, until `then_lines` more lines starting with `then_prefix` came; then stops it cleanly.
  RunOutcome run_once(const std::string& boot, const std::vector<std::string>& extra, const std::string& stop_after = "",
                      const std::string& then_prefix = "", int then_lines = 0) {
    test::Child child = test::spawn_child(PHANTOM_BINARY, run_args(boot, extra), true);
    RunOutcome r;
    bool stopping = false;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      if (!test::read_until(child.out, r.out, "\x01never", 50)) {
        int status = 0;
        if (::waitpid(child.pid, &status, WNOHANG) == child.pid) {
          r.out += test::drain(child.out);
          if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
          if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
          return r;
        }
      }
      if (!stopping && !stop_after.empty()) {
        std::size_t at = r.out.find(stop_after);
        if (at != std::string::npos && numbers_after(r.out.substr(at), "\n" + then_prefix).size() >= static_cast<std::size_t>(then_lines)) {
          ::kill(child.pid, SIGTERM);
          stopping = true;
        }
      }
    }
    ::kill(child.pid, SIGKILL);
    ::waitpid(child.pid, nullptr, 0);
    ::close(child.out);
    ADD_FAILURE() << "the world did not end within 60 s:\n" << r.out;
    return r;
  }

  nlohmann::json events() const {
    auto shown = test::run_shell(std::string(PHANTOM_BINARY) + " events " + world() + " --json");
    EXPECT_EQ(shown.status, 0) << shown.out;
    return nlohmann::json::parse(shown.out, nullptr, false);
  }

  static std::vector<nlohmann::json> of_kind(const nlohmann::json& events, const std::string& kind) {
    std::vector<nlohmann::json> out;
    for (const auto& e : events)
      if (e["kind"] == kind) out.push_back(e);
    return out;
  }

  // Every start resumes the last snapshot the run before committed (nothing committed is lost);
  // `runs` are the outputs in order. A rollback, reported by the run that made it, is the exception.
  static void expect_no_committed_snapshot_lost(const std::vector<std::string>& runs) {
    for (std::size_t i = 1; i < runs.size(); ++i) {
      auto committed = numbers_after(runs[i - 1], "phantom: snapshot ");
      auto resumed = numbers_after(runs[i], "resumed snapshot ");
      if (committed.empty() || resumed.empty() || runs[i].find("rolled back to snapshot") != std::string::npos) continue;
      // At least the last one it reported; a crash between a commit and its line may hide a newer one.
      EXPECT_GE(resumed.front(), committed.back()) << "run " << i << " resumed an older snapshot than run " << i - 1
                                                   << " committed:\n" << runs[i - 1] << "\n----\n" << runs[i];
    }
  }
};

TEST_F(CrashLoopTest, QuarantineHoldsBackTheFailingThreadAndTheWorldRunsOn) {
  std::vector<std::string> outputs;
  bool looped = false;
  for (int start = 0; start < 12 && !looped; ++start) {
    RunOutcome r = run_once(".test.crash_loop", {"--interval", "300"}, "crash loop", "bystander ", 5);
    outputs.push_back(r.out);
    looped = r.out.find("crash loop") != std::string::npos;
    if (!looped) {
      ASSERT_EQ(r.signal, SIGSEGV) << "each run before the loop dies of the fault:\n" << r.out;
      ASSERT_NE(r.out.find("tick 39\n"), std::string::npos) << r.out;  // "crashing at 40" may die in the console buffer
    } else {
      EXPECT_EQ(r.exit_code, 0) << "stopped cleanly after the quarantine:\n" << r.out;
      std::string after = r.out.substr(r.out.find("crash loop"));
      EXPECT_EQ(after.find("\ntick "), std::string::npos) << "the quarantined thread ran:\n" << r.out;
      EXPECT_NE(after.find("quarantined VM thread"), std::string::npos) << r.out;
      EXPECT_NE(after.find("--resume-thread"), std::string::npos) << r.out;
    }
  }
  ASSERT_TRUE(looped) << "no crash loop found in 12 starts";
  expect_no_committed_snapshot_lost(outputs);

  nlohmann::json log = events();
  auto faults = of_kind(log, "fault");
  ASSERT_GE(faults.size(), 3u) << log.dump(1);
  auto loop = of_kind(log, "crash-loop");
  ASSERT_EQ(loop.size(), 1u) << log.dump(1);
  EXPECT_EQ(loop[0]["text"].get<std::string>().rfind("quarantine", 0), 0u);
  auto held = of_kind(log, "quarantine");
  ASSERT_EQ(held.size(), 1u) << log.dump(1);
  std::uint64_t crasher = held[0]["detail"];
  EXPECT_NE(held[0]["text"].get<std::string>().find("crasher"), std::string::npos) << held[0].dump();
  for (std::size_t i = faults.size() - 3; i < faults.size(); ++i) {
    EXPECT_EQ(faults[i]["detail"], crasher) << "the thread running at the fault";
    EXPECT_NE(faults[i]["text"].get<std::string>().find("SIGSEGV"), std::string::npos) << faults[i].dump();
    EXPECT_EQ(faults[i]["snapshot"], loop[0]["snapshot"]);
  }
  EXPECT_EQ(log.back()["kind"], "stop") << log.dump(1);

  // The thread is let run again while the world is stopped; it fails at once, as it did before.
  auto resumed = test::run_shell(std::string(PHANTOM_BINARY) + " start --world " + world() + " --resume-thread " +
                                 std::to_string(crasher) + " 2>&1");
  ASSERT_EQ(resumed.status, 0) << resumed.out;
  EXPECT_NE(resumed.out.find("crasher"), std::string::npos) << resumed.out;
  RunOutcome again = run_once(".test.crash_loop", {"--interval", "300"});
  EXPECT_EQ(again.signal, SIGSEGV) << again.out;
  EXPECT_EQ(of_kind(events(), "release").size(), 1u);
}

TEST_F(CrashLoopTest, RollbackResumesTheSnapshotBeforeAndKeepsTheLog) {
  std::vector<std::string> outputs;
  std::string rolled;
  for (int start = 0; start < 12 && rolled.empty(); ++start) {
    // Snapshots every 100 ms: older ones to roll back to are retained when the loop comes.
    RunOutcome r = run_once(".test.crash_loop", {"--interval", "100", "--on-crash-loop", "rollback"});
    outputs.push_back(r.out);
    if (r.out.find("rolled back to snapshot") != std::string::npos) rolled = r.out;
    else ASSERT_EQ(r.signal, SIGSEGV) << r.out;
  }
  ASSERT_FALSE(rolled.empty()) << "no rollback in 12 starts";
  expect_no_committed_snapshot_lost(outputs);
  nlohmann::json log = events();
  auto loop = of_kind(log, "crash-loop");
  auto back = of_kind(log, "rollback");
  ASSERT_EQ(loop.size(), 1u) << log.dump(1);
  ASSERT_EQ(back.size(), 1u) << log.dump(1);
  EXPECT_LT(back[0]["snapshot"].get<std::uint64_t>(), loop[0]["snapshot"].get<std::uint64_t>());
  EXPECT_GE(of_kind(log, "fault").size(), 3u) << "the faults before the rollback stay in the log";
  // The run after the rollback resumed exactly the snapshot it names.
  auto resumed = numbers_after(rolled, "resumed snapshot ");
  ASSERT_FALSE(resumed.empty()) << rolled;
  EXPECT_EQ(resumed.front(), back[0]["snapshot"].get<std::uint64_t>());
}

TEST_F(CrashLoopTest, StopRefusesToStartAndSaysWhatToDo) {
  RunOutcome refused;
  for (int start = 0; start < 12 && refused.exit_code != 3; ++start) {
    refused = run_once(".test.crash_loop", {"--interval", "100", "--on-crash-loop", "stop"});
    if (refused.exit_code != 3) {
      ASSERT_EQ(refused.signal, SIGSEGV) << refused.out;
    }
  }
  ASSERT_EQ(refused.exit_code, 3) << "never refused";
  EXPECT_NE(refused.out.find("SIGSEGV"), std::string::npos) << refused.out;
  EXPECT_NE(refused.out.find("phantom events"), std::string::npos) << refused.out;
  EXPECT_NE(refused.out.find("phantom rollback"), std::string::npos) << refused.out;
  EXPECT_NE(refused.out.find("--on-crash-loop ignore"), std::string::npos) << refused.out;
  EXPECT_EQ(refused.out.find("tick "), std::string::npos) << "nothing ran:\n" << refused.out;
  EXPECT_EQ(of_kind(events(), "refused").size(), 1u);
  // Asked again, it refuses again; with ignore it starts (and fails, as before).
  RunOutcome again = run_once(".test.crash_loop", {"--on-crash-loop", "stop"});
  EXPECT_EQ(again.exit_code, 3) << again.out;
  EXPECT_EQ(of_kind(events(), "refused").size(), 2u);
  RunOutcome ignored = run_once(".test.crash_loop", {"--interval", "100", "--on-crash-loop", "ignore"});
  EXPECT_EQ(ignored.signal, SIGSEGV) << ignored.out;
  EXPECT_NE(ignored.out.find("started as it is"), std::string::npos) << ignored.out;
}

TEST_F(CrashLoopTest, TheWatchdogEndsARunStuckOutsideSafepoints) {
  RunOutcome r = run_once(".test.hang", {"--interval", "100", "--watchdog", "400"});
  EXPECT_EQ(r.exit_code, 70) << r.out;
  EXPECT_NE(r.out.find("tick 4"), std::string::npos) << r.out;  // what the thread printed later is still buffered
  EXPECT_NE(r.out.find("watchdog"), std::string::npos) << r.out;
  // The next start writes the fault into the log; `phantom events` shows it pending before that.
  auto pending = of_kind(events(), "fault");
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_TRUE(pending[0]["pending"].get<bool>());
  RunOutcome next = run_once(".test.hang", {"--interval", "100", "--watchdog", "400"});
  EXPECT_EQ(next.exit_code, 70) << next.out;
  auto faults = of_kind(events(), "fault");
  ASSERT_GE(faults.size(), 1u);
  EXPECT_FALSE(faults[0]["pending"].get<bool>());
  EXPECT_NE(faults[0]["text"].get<std::string>().find("without reaching a safepoint"), std::string::npos) << faults[0].dump();
  EXPECT_NE(faults[0]["detail"].get<std::uint64_t>(), 0u) << "names the thread";
}

TEST_F(CrashLoopTest, AnAbortIsAFaultAndFlt_IsServedOnlyForTests) {
  RunOutcome r = run_once(".test.abort_now", {});
  EXPECT_EQ(r.signal, SIGABRT) << r.out;
  RunOutcome again = run_once(".test.abort_now", {});  // records the first run's fault, then aborts too
  EXPECT_EQ(again.signal, SIGABRT) << again.out;
  auto faults = of_kind(events(), "fault");
  ASSERT_EQ(faults.size(), 2u);
  EXPECT_FALSE(faults[0]["pending"].get<bool>());
  EXPECT_NE(faults[0]["text"].get<std::string>().find("SIGABRT"), std::string::npos) << faults[0].dump();
  // Without --test-faults the prefix is unknown: connect fails and the world stays up.
  std::vector<std::string> args = run_args(".test.abort_now", {});
  args.erase(std::find(args.begin(), args.end(), "--test-faults"));
  args[3] = (dir_ / "other.img").string();
  int code = -1;
  std::string out = test::output_of(PHANTOM_BINARY, args, &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("connect failed"), std::string::npos) << out;
}

TEST_F(CrashLoopTest, AnUncaughtExceptionIsLoggedWithTheSnapshotThatHasIt) {
  RunOutcome r = run_once(".test.thrower", {"--interval", "100"}, "phantom: snapshot", "bystander ", 3);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  nlohmann::json log = events();
  auto failed = of_kind(log, "thread-fault");
  ASSERT_EQ(failed.size(), 1u) << log.dump(1);
  EXPECT_NE(failed[0]["text"].get<std::string>().find("boom from the test"), std::string::npos) << failed[0].dump();
  EXPECT_TRUE(of_kind(log, "fault").empty()) << "the world ran on: not a fault of the run";
  EXPECT_EQ(log.back()["kind"], "stop");
}

}  // namespace
}  // namespace phantom
