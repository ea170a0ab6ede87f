// VM resume tests with the real binary and kill -9: a sleeping thread keeps sleeping until its
// wake-up time, and a thread blocked in console input issues its read again after a restore.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "support/assembled_class.h"
#include "support/child_process.h"

namespace phantom {
namespace {

using Clock = std::chrono::steady_clock;
// The longest wait for a child's next progress line; a child silent for this long is stuck.
constexpr std::chrono::seconds progress_limit{60};

class VmResume : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("phantom-resume-" + std::to_string(::getpid()) + "-" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) std::filesystem::remove_all(dir_);
  }
  void add_class(const char* source) { ASSERT_EQ(test::write_assembled_class(dir_, source), ""); }
  test::Child start(bool pipe_stdin) {
    return test::spawn_child(PHANTOM_BINARY,
                             {"phantom", "run", "--world", (dir_ / "w.img").string(), "--boot", ".r.boot", "--classpath",
                              dir_.string(), "--interval", "30", "--arena-size", "64M", "--log-snapshots"},
                             true, pipe_stdin);
  }
  // Waits until the child's output (read as it comes) contains `what`; returns everything read.
  static std::string read_until(int fd, const std::string& what, std::chrono::milliseconds limit) {
    std::string text;
    auto end = Clock::now() + limit;
    char buffer[1024];
    while (Clock::now() < end && text.find(what) == std::string::npos) {
      fd_set set;
      FD_ZERO(&set);
      FD_SET(fd, &set);
      timeval tv{0, 20'000};
      if (::select(fd + 1, &set, nullptr, nullptr, &tv) > 0) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n <= 0) break;
        text.append(buffer, static_cast<std::size_t>(n));
      }
    }
    return text;
  }
  static int wait_exit(pid_t pid) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::filesystem::path dir_;
};

TEST_F(VmResume, ASleepingThreadKeepsSleepingUntilItsWakeUpTime) {
  add_class(R"(.class .r.boot
.method run 8
  arg_count 1
  os_get32 0
  sconst_bin "before\n"
  call 16 1
  os_drop
  os_get32 0
  const 1500
  i2o
  call 21 1          ; sleep 1.5 s
  os_drop
  os_get32 0
  sconst_bin "after\n"
  call 16 1
  os_drop
  summon_null
  ret
.end
)");
  auto began = Clock::now();
  test::Child first = start(false);
  std::string out = read_until(first.out, "before\n", progress_limit);
  ASSERT_NE(out.find("before\n"), std::string::npos) << out;
  // A snapshot committed after the sleep began (the second commit after "before"), then kill -9.
  // Timed from the child's progress, not the clock, so that a loaded machine kills at the same point.
  std::string commits = read_until(first.out, "committed", progress_limit);
  commits += read_until(first.out, "committed", progress_limit);
  out += commits;
  ::kill(first.pid, SIGKILL);
  wait_exit(first.pid);
  out += test::drain(first.out);
  ASSERT_EQ(out.find("after"), std::string::npos) << "the sleep ended early:\n" << out;
  ASSERT_NE(commits.find("committed"), commits.rfind("committed")) << "no two commits after the sleep began:\n" << out;

  auto restarted = Clock::now();
  test::Child second = start(false);
  std::string resumed = test::drain(second.out);
  int code = wait_exit(second.pid);
  double elapsed = std::chrono::duration<double>(Clock::now() - began).count();
  double after_restart = std::chrono::duration<double>(Clock::now() - restarted).count();
  EXPECT_EQ(code, 0) << resumed;
  EXPECT_NE(resumed.find("after\n"), std::string::npos) << resumed;
  EXPECT_EQ(resumed.find("before\n"), std::string::npos) << "the thread started over:\n" << resumed;
  EXPECT_GE(elapsed, 1.45) << "woke before its wake-up time";
  // Not much later than the wake-up time either (the start-up of the second run aside): at most the
  // whole sleep again plus a generous start-up, measured from the restart so a slow first run does not count.
  EXPECT_LT(after_restart, 1.5 + 6.0);
}

TEST_F(VmResume, AThreadWaitingForInputReadsAgainAfterARestore) {
  add_class(R"(.class .r.boot
.method run 8
  arg_count 1
  os_get32 0
  sconst_bin "prompt\n"
  call 16 1
  os_drop
  os_get32 0
  sconst_bin "\n"
  summon_by_name .internal.io.tty
  new
  call 16 0          ; getwc: parks until a byte arrives
  sconst_bin "got "  ; print(a1, a2, a3) prints a3 a2 a1
  call 16 3
  os_drop
  summon_null
  ret
.end
)");
  test::Child first = start(true);  // stdin stays open and empty: the thread waits
  std::string out = read_until(first.out, "prompt", progress_limit);
  std::string commits = read_until(first.out, "committed", progress_limit);
  commits += read_until(first.out, "committed", progress_limit);
  out += commits;
  ::kill(first.pid, SIGKILL);
  wait_exit(first.pid);
  ::close(first.in);
  out += test::drain(first.out);
  ASSERT_NE(out.find("prompt"), std::string::npos) << out;
  ASSERT_NE(commits.find("committed"), commits.rfind("committed")) << "no two commits after the prompt:\n" << out;

  test::Child second = start(true);
  ASSERT_EQ(::write(second.in, "x", 1), 1);
  ::close(second.in);
  std::string resumed = test::drain(second.out);
  EXPECT_EQ(wait_exit(second.pid), 0) << resumed;
  EXPECT_EQ(resumed.find("prompt"), std::string::npos) << resumed;
  EXPECT_NE(resumed.find("got x\n"), std::string::npos) << resumed;
}

}  // namespace
}  // namespace phantom
