// Output commit under kill -9 (design.md rule 5), end to end with the real `phantom` binary: the program
// tests/connections/commit_counter.ph keeps a counter n in the world and appends the line "n" to a file
// and prints it, forever. It is killed with SIGKILL at random instants, PHANTOM_COMMIT_KILLS times (50
// by default), and restarted each time. Each kill is timed from the child's observed progress: a random
// delay after it printed a line. After every kill the file must hold exactly 1, 2, ..., k (no gap, no
// repeat), and each restarted world must go on from where the file ends. With --console-commit, the
// lines printed over all runs must be exactly 1, 2, ..., K too. The same program with the file in
// immediate mode must show repeats, so these checks can fail.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/program_test.h"
#include "support/shell_command.h"

namespace phantom {
namespace {

namespace fs = std::filesystem;

int kills_wanted() {
  const char* v = std::getenv("PHANTOM_COMMIT_KILLS");
  return v ? std::max(1, std::atoi(v)) : 50;
}

// The numbers in `text`, one per line; other lines (Phantom's own messages) are skipped.
std::vector<long> numbers_in(const std::string& text) {
  std::vector<long> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line.find_first_not_of("0123456789") != std::string::npos) continue;
    out.push_back(std::stol(line));
  }
  return out;
}

// How far 1, 2, ... runs without a gap or a repeat; -1 when it breaks (the position in `where`).
long sequence_end(const std::vector<long>& numbers, std::string& where) {
  for (std::size_t i = 0; i < numbers.size(); ++i)
    if (numbers[i] != static_cast<long>(i) + 1) {
      where = "position " + std::to_string(i + 1) + " holds " + std::to_string(numbers[i]);
      return -1;
    }
  return static_cast<long>(numbers.size());
}

class OutputCommit : public test::ProgramTest {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(compile_program("phantom_commit_", PHANTOM_BINARY, PROGRAM)); }

  // Runs the world until it made progress, then a random 0-40 ms more, then kills it. Progress is a
  // number printed on the console or, when `file_beyond` >= 0, the counter file holding lines past
  // `file_beyond`: a commit of this run released them (console numbers are printed before any commit,
  // and on a loaded machine a commit can take longer than the 40 ms). Returns everything printed.
  std::string run_and_kill(const std::string& boot, bool console_commit, std::mt19937& rng, long file_beyond = -1) {
    std::vector<std::string> args = {"phantom", "run", "--world", (dir_ / "w.img").string(), "--boot", boot,
                                     "--classpath", (dir_ / "classes").string(), "--arena-size", "128M"};
    if (console_commit) args.push_back("--console-commit");
    test::Child child = test::spawn_child(PHANTOM_BINARY, args, true);
    std::string out;
    // A number on a line of its own: the world runs (and, committed, has committed at least once).
    bool progressed = false;
    for (int tries = 0; tries < 600 && !progressed; ++tries) {
      test::read_until(child.out, out, "\n", 100, out.size());
      if (file_beyond >= 0) {
        std::string where;
        progressed = sequence_end(numbers_in(test::read_whole_file(dir_ / "w.img.files" / "counter.txt")), where) > file_beyond;
      } else {
        for (const long n : numbers_in(out)) progressed = progressed || n > 0;
      }
      int status;
      if (::waitpid(child.pid, &status, WNOHANG) == child.pid) {
        ADD_FAILURE() << "phantom exited early:\n" << out + test::drain(child.out);
        return out;
      }
    }
    EXPECT_TRUE(progressed) << "no progress in 60 s:\n" << out.substr(0, 4000);
    std::uniform_int_distribution<int> delay(0, 40);
    test::read_until(child.out, out, "", delay(rng));
    ::kill(child.pid, SIGKILL);
    int status = 0;
    ::waitpid(child.pid, &status, 0);
    return out + test::drain(child.out);
  }

};

TEST_F(OutputCommit, FileLinesHaveNoGapAndNoRepeatAcrossKills) {
  std::mt19937 rng(std::random_device{}());
  long last = 0;
  int kills = kills_wanted();
  for (int k = 0; k < kills; ++k) {
    std::string out = run_and_kill(".test.commit_counter", false, rng, last);
    ASSERT_EQ(out.find("uncaught exception"), std::string::npos) << out.substr(0, 4000);
    ASSERT_EQ(out.find("snapshot failed"), std::string::npos) << out.substr(0, 4000);
    std::string where;
    long end = sequence_end(numbers_in(test::read_whole_file(dir_ / "w.img.files" / "counter.txt")), where);
    ASSERT_GE(end, 0) << "after kill " << k + 1 << ": the file breaks at " << where;
    ASSERT_GE(end, last) << "after kill " << k + 1 << ": the file lost lines";
    last = end;
  }
  EXPECT_GT(last, kills) << "the program hardly progressed";
  std::printf("%d kills, the file holds 1..%ld\n", kills, last);
}

TEST_F(OutputCommit, ConsoleLinesAreNeverRepeatedWithConsoleCommit) {
  std::mt19937 rng(std::random_device{}());
  std::string printed;
  int kills = kills_wanted();
  for (int k = 0; k < kills; ++k) {
    printed += run_and_kill(".test.commit_counter", true, rng);
    std::string where;
    long end = sequence_end(numbers_in(printed), where);
    ASSERT_GE(end, 0) << "after kill " << k + 1 << ": the console output breaks at " << where;
    long file_end = sequence_end(numbers_in(test::read_whole_file(dir_ / "w.img.files" / "counter.txt")), where);
    ASSERT_GE(file_end, 0) << "after kill " << k + 1 << ": the file breaks at " << where;
  }
  std::string where;
  std::printf("%d kills, the console printed 1..%ld\n", kills, sequence_end(numbers_in(printed), where));
}

TEST_F(OutputCommit, ImmediateModeRepeatsLinesAfterAKill) {
  std::mt19937 rng(std::random_device{}());
  int broken = 0;
  for (int k = 0; k < 5; ++k) {
    run_and_kill(".test.commit_counter_immediate", false, rng);
    std::string where;
    if (sequence_end(numbers_in(test::read_whole_file(dir_ / "w.img.files" / "counter.txt")), where) < 0) ++broken;
  }
  EXPECT_GT(broken, 0) << "immediate writes survived every kill without a repeat: the check above could not fail";
}

// --commit-delay D: committed output waits D after it was written before its snapshot starts (no
// interval snapshot comes sooner here: --interval is 10 minutes), and the world sleeps meanwhile.
// The policy thread once polled the whole delay away (a core's worth of CPU); the process's CPU time
// over the delay says it no longer does.
TEST_F(OutputCommit, CommitDelayHoldsOutputWhileTheWorldSleeps) {
  constexpr long delay_us = 3'000'000;
  std::vector<std::string> args = {"phantom", "run", "--world", (dir_ / "w.img").string(), "--boot", ".test.commit_once",
                                   "--classpath", (dir_ / "classes").string(), "--arena-size", "64M",
                                   "--commit-delay", std::to_string(delay_us), "--interval", "600000"};
  test::Child child = test::spawn_child(PHANTOM_BINARY, args, true);
  std::string out;
  ASSERT_TRUE(test::read_until(child.out, out, "written\n", 60000)) << out;
  const auto seen = std::chrono::steady_clock::now();
  const fs::path file = dir_ / "w.img.files" / "once.txt";
  EXPECT_EQ(test::read_whole_file(file), "") << "released before its delay";
  auto cpu_seconds = [&] {  // utime + stime of the whole process, from /proc
    std::string stat = test::read_whole_file("/proc/" + std::to_string(child.pid) + "/stat");
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::string f;
    long ticks = 0;
    for (int i = 3; i <= 15 && fields >> f; ++i)
      if (i == 14 || i == 15) ticks += std::stol(f);
    return static_cast<double>(ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  };
  const double cpu_before = cpu_seconds();
  for (int tries = 0; tries < 600 && test::read_whole_file(file).empty(); ++tries) test::read_until(child.out, out, "", 100);
  const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - seen).count();
  const double cpu = cpu_seconds() - cpu_before;
  ::kill(child.pid, SIGKILL);
  int status = 0;
  ::waitpid(child.pid, &status, 0);
  ASSERT_EQ(test::read_whole_file(file), "1\n") << "never released:\n" << out + test::drain(child.out);
  EXPECT_GT(waited, 2.0) << "released long before the 3 s delay";
  EXPECT_LT(cpu, 1.0) << "the world used " << cpu << " s of CPU while its output waited " << waited << " s";
}

// The snapshot log goes to a stderr that nobody reads (a pipe the test leaves alone until it is full):
// the world must go on committing, since a log write that waited would hold every commit, and the
// held output with it. Once the pipe is read again, the log says how many lines it dropped.
TEST_F(OutputCommit, AStderrThatNobodyReadsDoesNotStopCommits) {
  std::vector<std::string> args = {"phantom", "run", "--world", (dir_ / "w.img").string(), "--boot", ".test.commit_counter",
                                   "--classpath", (dir_ / "classes").string(), "--arena-size", "128M",
                                   "--log-snapshots", "--interval", "20"};
  // Four pages: full after some 50 snapshots.
  test::Child child = test::spawn_child_stderr_only(PHANTOM_BINARY, args, 16384);
  ASSERT_GT(child.pid, 0);
  const fs::path counter = dir_ / "w.img.files" / "counter.txt";
  auto file_end = [&] {  // its size: it grows by what each commit releases
    std::error_code ec;
    auto size = fs::file_size(counter, ec);
    return ec ? 0L : static_cast<long>(size);
  };
  // Full, and commits go on: the log has taken no line for a second (it never holds quite all: a page
  // whose free space a line does not fit counts as taken) while the file grew in the second half of
  // that second, after anything released before the pipe filled had landed.
  const int pipe_bytes = ::fcntl(child.out, F_GETPIPE_SZ);
  int queued = 0, unchanged = 0;
  long halfway = 0;
  bool committing_while_full = false;
  for (int tries = 0; tries < 600 && !committing_while_full; ++tries) {
    ::usleep(100'000);
    int before = queued;
    ::ioctl(child.out, FIONREAD, &queued);
    unchanged = queued == before && queued >= pipe_bytes / 2 ? unchanged + 1 : 0;
    if (unchanged == 5) halfway = file_end();
    committing_while_full = unchanged >= 10 && file_end() > halfway;
  }
  EXPECT_TRUE(committing_while_full) << "no commit released anything after stderr filled up (" << queued
                                     << " bytes in the pipe)";
  std::string log;
  EXPECT_TRUE(test::read_until(child.out, log, " snapshot log lines dropped: stderr was full\n", 20000))
      << log.substr(0, 600) << "\n...\n" << log.substr(log.size() > 1500 ? log.size() - 1500 : 0);
  ::kill(child.pid, SIGKILL);
  int status = 0;
  ::waitpid(child.pid, &status, 0);
  ::close(child.out);
}

}  // namespace
}  // namespace phantom
