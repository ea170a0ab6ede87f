// `phantom inspect` and `phantom start` through the real binary: the classes and VM threads of a stored
// world, and a class started in a stopped world and in a running one (system/world_tools).
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "support/child_process.h"

namespace fs = std::filesystem;
using phantom::test::Child;
using phantom::test::drain;
using phantom::test::spawn_child;

namespace {

struct Outcome {
  int status = -1;
  std::string out;
};

Outcome phantom(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"phantom"};
  argv.insert(argv.end(), args.begin(), args.end());
  Child c = spawn_child(PHANTOM_BINARY, argv, true);
  Outcome o;
  o.out = drain(c.out);
  int status = 0;
  ::waitpid(c.pid, &status, 0);
  o.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return o;
}

// Runs the world for `ms`, then stops it with SIGINT; returns everything it printed.
std::string run_for(const std::string& world, int ms, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv = {"phantom", "run", "--world", world};
  argv.insert(argv.end(), extra.begin(), extra.end());
  Child c = spawn_child(PHANTOM_BINARY, argv, true);
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  ::kill(c.pid, SIGINT);
  std::string out = drain(c.out);
  int status = 0;
  ::waitpid(c.pid, &status, 0);
  return out;
}

class WorldTools : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("phantom-tools-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "classes");
    std::ofstream(dir_ / "hello.ph") << "package .test;\nclass hello\n{\n"
                                        "    void run(var boot : .internal.bootstrap) [8] { boot.consolePrint(\"hello from a started thread\\n\"); }\n};\n";
    Outcome c = phantom({"compile", "-o", (dir_ / "classes").string(), (dir_ / "hello.ph").string()});
    ASSERT_EQ(c.status, 0) << c.out;
    world_ = (dir_ / "w.img").string();
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  std::string world_;
};

TEST_F(WorldTools, InspectListsClassesThreadsAndHeap) {
  Outcome empty = phantom({"run", "--world", world_, "--once", "--arena-size", "128M"});
  ASSERT_EQ(empty.status, 0) << empty.out;
  Outcome not_booted = phantom({"inspect", world_});
  EXPECT_EQ(not_booted.status, 0) << not_booted.out;
  EXPECT_NE(not_booted.out.find("not booted yet"), std::string::npos) << not_booted.out;
  fs::remove(world_);

  run_for(world_, 700, {"--boot", ".demo.scheduler", "--classpath", CLASSES_DIR, "--arena-size", "128M"});
  Outcome o = phantom({"inspect", world_});
  ASSERT_EQ(o.status, 0) << o.out;
  EXPECT_NE(o.out.find("classes      3 loaded (and "), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("  .demo.scheduler\n"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find(".demo.job: sleeping, in .demo.job.run (ordinal 8) line "), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("threads      4\n"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("heap         "), std::string::npos) << o.out;
  Outcome json = phantom({"inspect", world_, "--json"});
  EXPECT_NE(json.out.find("\"threads\": ["), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("\"used_bytes\""), std::string::npos) << json.out;
  // Inspecting wrote nothing: the next run resumes the same snapshot.
  Outcome again = phantom({"inspect", world_});
  EXPECT_EQ(again.out, o.out);
}

TEST_F(WorldTools, StartInAStoppedAndInARunningWorld) {
  run_for(world_, 500, {"--boot", ".demo.scheduler", "--classpath", CLASSES_DIR, "--arena-size", "128M"});
  Outcome missing = phantom({"start", "--world", world_, ".test.nosuch"});
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.out.find("not found in the class path"), std::string::npos) << missing.out;

  Outcome stopped = phantom({"start", "--world", world_, "--classpath", (dir_ / "classes").string(), "test.hello"});
  ASSERT_EQ(stopped.status, 0) << stopped.out;
  EXPECT_NE(stopped.out.find("it runs when the world runs"), std::string::npos) << stopped.out;
  Outcome listed = phantom({"inspect", world_});
  EXPECT_NE(listed.out.find(".test.hello: runnable, in .test.hello.run"), std::string::npos) << listed.out;
  std::string out = run_for(world_, 600);
  EXPECT_NE(out.find("hello from a started thread"), std::string::npos) << out;

  // Running: the request goes through the world's control socket and the thread starts at once.
  Child running = spawn_child(PHANTOM_BINARY, {"phantom", "run", "--world", world_}, true);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  Outcome live = phantom({"start", "--world", world_, "--classpath", (dir_ / "classes").string(), ".test.hello"});
  EXPECT_EQ(live.status, 0) << live.out;
  EXPECT_NE(live.out.find("started thread "), std::string::npos) << live.out;
  Outcome bad = phantom({"start", "--world", world_, ".test.nosuch"});
  EXPECT_EQ(bad.status, 1) << bad.out;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ::kill(running.pid, SIGINT);
  std::string running_out = drain(running.out);
  int status = 0;
  ::waitpid(running.pid, &status, 0);
  EXPECT_NE(running_out.find("hello from a started thread"), std::string::npos) << running_out;
}

}  // namespace
