// The system boot class and the console shell, through the real binary: self-tests on first boot, every
// shell command, and the shell's history surviving a restart (plib/system).
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "support/child_process.h"

namespace fs = std::filesystem;
using phantom::test::Child;
using phantom::test::spawn_child;

namespace {

bool read_until(int fd, std::string& seen, const std::string& want, int seconds = 20) {
  return phantom::test::read_until(fd, seen, want, seconds * 1000);
}

void type(const Child& c, const std::string& text) { ASSERT_EQ(::write(c.in, text.data(), text.size()), static_cast<ssize_t>(text.size())); }

int wait_exit(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

class Shell : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("phantom-shell-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "classes");
    std::ofstream(dir_ / "hello.ph") << "package .test;\nclass hello\n{\n"
                                        "    void run(var boot : .internal.bootstrap) [8] { boot.consolePrint(\"hello from a started thread\\n\"); }\n};\n";
    std::ofstream(dir_ / "spinner.ph") << "package .test;\nclass spinner\n{\n"
                                          "    void run(var boot : .internal.bootstrap) [8] { while (1) boot.sleep(20); }\n};\n";
    std::string cmd = std::string(PHANTOM_BINARY) + " compile -o " + (dir_ / "classes").string() + " " + (dir_ / "hello.ph").string() +
                      " " + (dir_ / "spinner.ph").string();
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  void TearDown() override { fs::remove_all(dir_); }
  Child start() {
    return spawn_child(PHANTOM_BINARY, {"phantom", "run", "--world", (dir_ / "w.img").string(), "--arena-size", "128M", "--boot",
                                        ".ru.dz.phantom.system.boot", "--classpath", (dir_ / "classes").string()},
                       false, true);
  }
  fs::path dir_;
};

TEST_F(Shell, AnswersEveryCommandAndKeepsItsHistoryAcrossARestart) {
  Child c = start();
  std::string out;
  ASSERT_TRUE(read_until(c.out, out, "phantom> ")) << out;
  EXPECT_NE(out.find("library self-test: "), std::string::npos) << out;
  EXPECT_NE(out.find(" checks passed"), std::string::npos) << out;
  type(c, "echo first command\n");
  ASSERT_TRUE(read_until(c.out, out, "first command\n")) << out;
  type(c, "help\n");
  ASSERT_TRUE(read_until(c.out, out, "history ")) << out;
  type(c, "ls\n");
  ASSERT_TRUE(read_until(c.out, out, " loaded classes\nphantom> ")) << out;
  EXPECT_NE(out.find(".ru.dz.phantom.system.shell\n"), std::string::npos) << out;
  type(c, "threads\n");
  ASSERT_TRUE(read_until(c.out, out, " threads\nphantom> ")) << out;
  EXPECT_NE(out.find(".ru.dz.phantom.system.shell: runnable, in "), std::string::npos) << out;
  type(c, "stats\n");
  ASSERT_TRUE(read_until(c.out, out, "commands typed: ")) << out;
  EXPECT_NE(out.find("boots 1, gc runs "), std::string::npos) << out;
  type(c, "uptime\n");
  ASSERT_TRUE(read_until(c.out, out, "host up ")) << out;
  type(c, "start test.hello\n");
  ASSERT_TRUE(read_until(c.out, out, "hello from a started thread\n")) << out;
  EXPECT_NE(out.find("started .test.hello\n"), std::string::npos) << out;
  type(c, "start .test.nosuch\n");
  ASSERT_TRUE(read_until(c.out, out, "error: .test.nosuch - class load error\n")) << out;
  type(c, "snapshot\n");
  ASSERT_TRUE(read_until(c.out, out, "snapshot requested\n")) << out;
  type(c, "frobnicate\n");
  ASSERT_TRUE(read_until(c.out, out, "unknown command 'frobnicate'; type 'help'\n")) << out;
  ::kill(c.pid, SIGTERM);
  EXPECT_EQ(wait_exit(c.pid), 0);
  ::close(c.in);
  ::close(c.out);

  // The world resumes: the shell thread is still there, waiting for input, with its history.
  Child again = start();
  std::string out2;
  type(again, "history\n");
  ASSERT_TRUE(read_until(again.out, out2, "frobnicate\n")) << out2;
  EXPECT_NE(out2.find("  1  echo first command\n"), std::string::npos) << out2;
  EXPECT_EQ(out2.find("library self-test"), std::string::npos) << "the self-tests run on the first boot only";
  ::close(again.in);  // end of input: the shell stays, waiting for the next run with a terminal
  ASSERT_TRUE(read_until(again.out, out2, "(end of input: the shell waits")) << out2;
  ::kill(again.pid, SIGTERM);
  EXPECT_EQ(wait_exit(again.pid), 0);
  ::close(again.out);

  // ... and is there once more, reading input again.
  Child third = start();
  std::string out3;
  type(third, "echo still here\n");
  ASSERT_TRUE(read_until(third.out, out3, "still here\n")) << out3;
  ::kill(third.pid, SIGTERM);
  EXPECT_EQ(wait_exit(third.pid), 0);
  ::close(third.in);
  ::close(third.out);
}

// `kill N` ends a thread that `start` began; bad numbers get a clear answer.
TEST_F(Shell, KillEndsAThreadStartedFromTheShell) {
  Child c = start();
  std::string out;
  ASSERT_TRUE(read_until(c.out, out, "phantom> ")) << out;
  type(c, "start test.spinner\n");
  ASSERT_TRUE(read_until(c.out, out, "started .test.spinner")) << out;
  std::size_t from = out.size();
  type(c, "threads\n");
  ASSERT_TRUE(read_until(c.out, out, " threads\nphantom> ", 20)) << out;
  std::size_t at = out.find(" .test.spinner: ", from);
  ASSERT_NE(at, std::string::npos) << out;
  std::size_t line = out.rfind('\n', at) + 1;
  std::string id = out.substr(line, at - line);
  id.erase(0, id.find_first_not_of(' '));
  type(c, "kill " + id + "\n");
  ASSERT_TRUE(read_until(c.out, out, "killed " + id + " .test.spinner")) << out;
  from = out.size();
  type(c, "threads\n");
  ASSERT_TRUE(read_until(c.out, out, " threads\nphantom> ", 20)) << out;
  EXPECT_EQ(out.find(".test.spinner", from), std::string::npos) << "the killed thread is still listed:\n" << out.substr(from);
  type(c, "kill 99999\n");
  ASSERT_TRUE(read_until(c.out, out, "kill: no VM thread 99999\n")) << out;
  type(c, "kill abc\n");
  ASSERT_TRUE(read_until(c.out, out, "kill: 'abc' is not a thread number\n")) << out;
  type(c, "kill\n");
  ASSERT_TRUE(read_until(c.out, out, "usage: kill N")) << out;
  ::kill(c.pid, SIGTERM);
  EXPECT_EQ(wait_exit(c.pid), 0);
  ::close(c.in);
  ::close(c.out);
}

}  // namespace
