// End-to-end tests of the `phantom` executable: help and usage errors, every subcommand with and
// without --json, exit codes, damage and repair, and clean shutdown by signal.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/shell_command.h"

namespace {

struct Outcome {
  int status = -1;
  std::string out;  // stdout and stderr together
};

Outcome phantom(const std::string& args) {
  phantom::test::ShellResult r = phantom::test::run_shell(std::string(PHANTOM_BINARY) + " " + args + " 2>&1");
  return Outcome{r.status, r.out};
}

// Only stdout, for --json output.
std::string phantom_stdout(const std::string& args) {
  return phantom(args + " 2>/dev/null").out;
}

class PhantomCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("phantom-cli-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    world_ = (dir_ / "w.img").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
  std::string world_;
};

TEST_F(PhantomCli, HelpAndUsageErrors) {
  Outcome help = phantom("--help");
  EXPECT_EQ(help.status, 0);
  for (const char* sub : {"run", "snapshots", "fsck", "rollback", "inspect", "asm", "disasm", "compile", "start"}) {
    EXPECT_NE(help.out.find(sub), std::string::npos) << sub;
    Outcome sub_help = phantom(std::string(sub) + " --help");
    EXPECT_EQ(sub_help.status, 0) << sub;
    EXPECT_NE(sub_help.out.find("Usage"), std::string::npos) << sub;
  }
  EXPECT_EQ(phantom("").status, 2);
  EXPECT_EQ(phantom("frobnicate").status, 2);
  EXPECT_EQ(phantom("run").status, 2);  // --world is required
  EXPECT_EQ(phantom("run --world x.img --retention 99").status, 2);
}

TEST_F(PhantomCli, WorldLifecycle) {
  Outcome created = phantom("run --world " + world_ + " --arena-size 16M --once");
  ASSERT_EQ(created.status, 0) << created.out;
  EXPECT_NE(created.out.find("new world"), std::string::npos) << created.out;
  Outcome resumed = phantom("run --world " + world_ + " --once");
  ASSERT_EQ(resumed.status, 0) << resumed.out;
  EXPECT_NE(resumed.out.find("blank world"), std::string::npos) << resumed.out;

  auto list = nlohmann::json::parse(phantom_stdout("snapshots --json " + world_));
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1]["seq"], 2);
  EXPECT_EQ(list[1]["current"], true);
  EXPECT_NE(phantom("snapshots " + world_).out.find("(current)"), std::string::npos);

  auto info = nlohmann::json::parse(phantom_stdout("inspect --json " + world_));
  EXPECT_EQ(info["arena_bytes"], 16u << 20);
  EXPECT_EQ(info["current_seq"], 2);
  EXPECT_EQ(info["retention"], 3);

  Outcome clean = phantom("fsck " + world_);
  EXPECT_EQ(clean.status, 0) << clean.out;
  EXPECT_NE(clean.out.find("clean"), std::string::npos);
  auto report = nlohmann::json::parse(phantom_stdout("fsck --json " + world_));
  EXPECT_EQ(report["clean"], true);

  Outcome rolled = phantom("rollback " + world_ + " --to 1");
  EXPECT_EQ(rolled.status, 0) << rolled.out;
  EXPECT_NE(rolled.out.find("dropped 2"), std::string::npos) << rolled.out;
  Outcome missing = phantom("rollback " + world_ + " --to 42");
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.out.find("no snapshot 42"), std::string::npos) << missing.out;
}

TEST_F(PhantomCli, DamageIsFoundAndRepaired) {
  ASSERT_EQ(phantom("run --world " + world_ + " --arena-size 1M --once").status, 0);
  ASSERT_EQ(phantom("run --world " + world_ + " --once").status, 0);
  {  // damage the newest commit record (slot of generation 3 = slot 1)
    std::fstream f(world_, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096 + 100);
    f.put('\x42');
  }
  Outcome damaged = phantom("fsck " + world_);
  EXPECT_EQ(damaged.status, 1) << damaged.out;
  EXPECT_NE(damaged.out.find("commit record 1: checksum mismatch"), std::string::npos) << damaged.out;
  Outcome repaired = phantom("fsck --repair " + world_);
  EXPECT_EQ(repaired.status, 1);  // it was not clean...
  EXPECT_NE(repaired.out.find("repaired"), std::string::npos) << repaired.out;
  EXPECT_EQ(phantom("fsck " + world_).status, 0);  // ...and now it is
}

TEST_F(PhantomCli, BadInputGivesAClearError) {
  std::string garbage = (dir_ / "garbage.img").string();
  std::ofstream(garbage) << std::string(20000, 'x');
  for (const char* sub : {"run --world", "snapshots", "fsck", "inspect"}) {
    Outcome r = phantom(std::string(sub) + " " + garbage);
    EXPECT_EQ(r.status, 1) << sub << ": " << r.out;
    EXPECT_NE(r.out.find("not a Phantom world"), std::string::npos) << sub << ": " << r.out;
  }
  Outcome missing = phantom("fsck " + (dir_ / "nope.img").string());
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.out.find("no such file"), std::string::npos);
}

// Assembles `source` with `phantom asm` into the test directory; returns the class directory.
std::string assemble(const std::filesystem::path& dir, const std::string& name, const std::string& source) {
  std::filesystem::create_directories(dir / "classes");
  std::ofstream(dir / (name + ".pa")) << source;
  Outcome r = phantom("asm " + (dir / (name + ".pa")).string() + " -o " + (dir / "classes").string());
  EXPECT_EQ(r.status, 0) << r.out;
  return (dir / "classes").string();
}

TEST_F(PhantomCli, SignalsSnapshotAndShutDownCleanly) {
  std::string classes = assemble(dir_, "sleeper", R"(.class .c.sleeper
.method run 8
  arg_count 1
again:
  os_get32 0
  const 1000
  i2o
  call 21 1
  os_drop
  jmp again
.end
)");
  std::string log = (dir_ / "run.log").string();
  pid_t pid = ::fork();
  if (pid == 0) {
    std::freopen(log.c_str(), "w", stderr);
    ::execl(PHANTOM_BINARY, PHANTOM_BINARY, "run", "--world", world_.c_str(), "--arena-size", "4M", "--interval",
            "100000", "--boot", ".c.sleeper", "--classpath", classes.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  auto wait_for = [&](const std::string& text) {
    for (int i = 0; i < 500; ++i) {
      std::ifstream in(log);
      std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (all.find(text) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  };
  ASSERT_TRUE(wait_for("new world"));
  ::kill(pid, SIGUSR1);
  EXPECT_TRUE(wait_for("snapshot 1 committed (requested"));
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_TRUE(wait_for("snapshot 2 committed (shutdown"));
  auto list = nlohmann::json::parse(phantom_stdout("snapshots --json " + world_));
  EXPECT_EQ(list.back()["seq"], 2);
}

TEST_F(PhantomCli, ProgramOutputGoesToStdoutAndABootFailureExitsNonZero) {
  std::string classes = assemble(dir_, "fails", R"(.class .c.fails
.method run 8
  arg_count 1
  os_get32 0
  sconst_bin "program output\n"
  call 16 1
  os_drop
  .line 7
  sconst_bin "boom"
  throw
.end
)");
  std::string err = (dir_ / "err.txt").string();
  // stdout alone: the stderr redirection comes before phantom()'s own 2>&1 would
  phantom::test::ShellResult r = phantom::test::run_shell(std::string(PHANTOM_BINARY) + " run --world " + world_ +
                                        " --arena-size 8M --boot .c.fails --classpath " + classes + " 2>" + err);
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.out, "program output\n");  // stdout holds the program's output and nothing else
  std::ifstream in(err);
  std::string diag((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(diag.find("uncaught exception 'boom'"), std::string::npos) << diag;
  EXPECT_NE(diag.find("at .c.fails.run (ordinal 8) line 7"), std::string::npos) << diag;

  // A world that exists ignores --boot; this one has no thread left, so it ends at once.
  Outcome again = phantom("run --world " + world_ + " --boot .c.other");
  EXPECT_EQ(again.status, 0) << again.out;
  EXPECT_NE(again.out.find("was booted with .c.fails; --boot .c.other ignored"), std::string::npos) << again.out;
}

TEST_F(PhantomCli, AssemblerAndDisassembler) {
  std::string classes = assemble(dir_, "ok", ".class .c.ok\n.method run 8\n  arg_count 1\n  summon_null\n  ret\n.end\n");
  Outcome listing = phantom("disasm " + classes + "/c.ok.pc");
  EXPECT_EQ(listing.status, 0) << listing.out;
  EXPECT_NE(listing.out.find("arg_count 1"), std::string::npos) << listing.out;
  std::ofstream(dir_ / "bad.pa") << ".class .c.bad\n.method run 8\n  jmp nowhere\n.end\n";
  Outcome bad = phantom("asm " + (dir_ / "bad.pa").string() + " -o " + classes);
  EXPECT_EQ(bad.status, 1);
  EXPECT_NE(bad.out.find("bad.pa:3: undefined label nowhere"), std::string::npos) << bad.out;
  EXPECT_FALSE(std::filesystem::exists(classes + "/c.bad.pc"));  // no partial class file
  std::ofstream(dir_ / "junk.pc") << "not a class file";
  Outcome junk = phantom("disasm " + (dir_ / "junk.pc").string());
  EXPECT_EQ(junk.status, 1);
  EXPECT_NE(junk.out.find("junk.pc"), std::string::npos) << junk.out;
}

// --env NAME=VALUE, or NAME for this process's value (the counter service's PORT); an unset NAME is a
// usage error before any world is made.
TEST_F(PhantomCli, EnvironmentFromTheCommandLineAndTheHost) {
  std::filesystem::create_directories(dir_ / "classes");
  std::ofstream((dir_ / "env.ph").string()) << R"(package .c;
class env
{
    void startup(var boot : .internal.bootstrap) [8]
    {
        var all : .internal.container.array;
        var i : int;
        var s : string;
        all = boot.getKernelEnvironment();
        i = 0;
        while (i < all.size()) { s = (string) all.get(i); boot.consolePrint(s + "\n"); i = i + 1; }
    }
};
)";
  Outcome compiled = phantom("compile " + (dir_ / "env.ph").string() + " -o " + (dir_ / "classes").string());
  ASSERT_EQ(compiled.status, 0) << compiled.out;
  std::string run = "run --world " + world_ + " --arena-size 8M --boot .c.env --classpath " + (dir_ / "classes").string();

  phantom::test::ShellResult unset = phantom::test::run_shell("unset PHANTOM_TEST_UNSET; " + std::string(PHANTOM_BINARY) +
                                                              " " + run + " --env PHANTOM_TEST_UNSET 2>&1");
  EXPECT_EQ(unset.status, 2) << unset.out;
  EXPECT_NE(unset.out.find("PHANTOM_TEST_UNSET is not set here"), std::string::npos) << unset.out;
  EXPECT_FALSE(std::filesystem::exists(world_));

  phantom::test::ShellResult r = phantom::test::run_shell("PHANTOM_TEST_PORT=9090 " + std::string(PHANTOM_BINARY) + " " + run +
                                                          " --env PHANTOM_TEST_PORT --env MODE=fast 2>/dev/null");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("PHANTOM_TEST_PORT=9090\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("MODE=fast\n"), std::string::npos) << r.out;
}

}  // namespace
