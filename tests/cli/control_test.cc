// The control socket end to end (docs/control.md): a real `phantom run --detach` (or --foreground)
// and the real client verbs — status, snapshot, start, stop, attach — with --json parsed, a second user
// refused by the peer-credential check, a stale socket from a kill -9 replaced, and attach/detach in a
// real terminal (tmux).
#include <gtest/gtest.h>
#include <signal.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/child_process.h"
#include "support/shell_command.h"

namespace fs = std::filesystem;
using phantom::test::run_shell;

namespace {

struct Outcome {
  int status = -1;
  std::string out;
};

std::string quote(const std::string& text) { return "'" + text + "'"; }

// Waits until `done()` holds, up to `ms`.
template <typename Predicate>
bool eventually(Predicate done, int ms = 20'000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class ControlSocket : public ::testing::Test {
 protected:
  void SetUp() override {
    // In /tmp with mode 0755, so that another user can reach the socket's directory (SecondUserIsRefused).
    dir_ = fs::path("/tmp") / ("phantom-ctl-" + std::to_string(::getpid()) + "-" +
                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "classes");
    ::chmod(dir_.c_str(), 0755);
    world_ = (dir_ / "w.img").string();
    std::ofstream(dir_ / "hello.ph") << "package .test;\nclass hello\n{\n"
                                        "    void run(var boot : .internal.bootstrap) [8] { boot.consolePrint(\"hello from a started thread\\n\"); }\n};\n";
    ASSERT_EQ(phantom("compile -o " + quote((dir_ / "classes").string()) + " " + quote((dir_ / "hello.ph").string())).status, 0);
  }
  void TearDown() override {
    for (pid_t pid : daemons_) ::kill(pid, SIGKILL);
    if (!tmux_.empty()) run_shell("tmux -L " + tmux_ + " kill-server 2>/dev/null");
    fs::remove_all(dir_);
  }

  // stdout and stderr together
  Outcome phantom(const std::string& args) {
    auto r = run_shell(std::string(PHANTOM_BINARY) + " " + args + " 2>&1 </dev/null");
    return {r.status, r.out};
  }
  nlohmann::json phantom_json(const std::string& args) {
    auto r = run_shell(std::string(PHANTOM_BINARY) + " " + args + " 2>/dev/null </dev/null");
    EXPECT_EQ(r.status, 0) << args << ": " << r.out;
    return nlohmann::json::parse(r.out, nullptr, false);
  }
  std::string run_args() const {
    return "run --world " + quote(world_) + " --arena-size 128M --boot .ru.dz.phantom.system.boot --classpath " +
           quote((dir_ / "classes").string());
  }
  // `phantom run --detach`: returns once the world is ready, and remembers its pid for the cleanup.
  pid_t start_detached() {
    Outcome started = phantom(run_args() + " --detach");
    EXPECT_EQ(started.status, 0) << started.out;
    std::smatch m;
    EXPECT_TRUE(std::regex_search(started.out, m, std::regex("running in the background as pid ([0-9]+); control socket "))) << started.out;
    if (m.empty()) return -1;
    pid_t pid = std::stoi(m[1]);
    daemons_.push_back(pid);
    return pid;
  }
  static bool process_running(pid_t pid) {
    // A reaped or zombie process counts as ended (the daemon's parent is init, which reaps it). The
    // leader of a killed multi-threaded process turns zombie before its other threads have exited, and
    // those still hold the open files (the control socket among them): ended means no thread is left.
    std::string proc = "/proc/" + std::to_string(pid);
    std::string status = read_file(proc + "/status");
    if (status.empty()) return false;
    if (status.find("State:\tZ") == std::string::npos) return true;
    std::error_code ec;
    int tasks = 0;
    for (auto it = fs::directory_iterator(proc + "/task", ec); !ec && it != fs::directory_iterator(); it.increment(ec))
      ++tasks;
    return tasks > 1;
  }

  fs::path dir_;
  std::string world_;
  std::vector<pid_t> daemons_;
  std::string tmux_;
};

TEST_F(ControlSocket, DetachedWorldAnswersEveryVerbAndStopsWithALastSnapshot) {
  pid_t pid = start_detached();
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(fs::is_socket(world_ + ".sock"));
  EXPECT_EQ(fs::status(world_ + ".sock").permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);

  nlohmann::json status = phantom_json("status " + quote(world_) + " --json");
  ASSERT_TRUE(status.is_object());
  EXPECT_EQ(status["pid"], pid);
  EXPECT_EQ(status["world"], world_);
  EXPECT_GE(status["threads"].get<int>(), 1);
  EXPECT_GT(status["heap_used"].get<std::uint64_t>(), 0u);
  for (const char* field : {"uptime_ms", "boots", "heap_capacity", "last_snapshot_seq", "pause_p50_ms", "pause_p99_ms",
                            "pending_output_bytes", "connections"})
    EXPECT_TRUE(status.contains(field)) << field;
  Outcome human = phantom("status --world " + quote(world_));
  EXPECT_EQ(human.status, 0) << human.out;
  EXPECT_NE(human.out.find(world_ + ": running, pid " + std::to_string(pid) + ", up "), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("  last snapshot   "), std::string::npos) << human.out;

  nlohmann::json first = phantom_json("snapshot " + quote(world_) + " --json");
  std::uint64_t seq = first["seq"];
  Outcome second = phantom("snapshot --world " + quote(world_));
  ASSERT_EQ(second.status, 0) << second.out;
  EXPECT_NE(second.out.find("snapshot " + std::to_string(seq + 1) + " committed"), std::string::npos) << second.out;
  EXPECT_GE(phantom_json("status " + quote(world_) + " --json")["last_snapshot_seq"].get<std::uint64_t>(), seq + 1);

  Outcome started = phantom("start --world " + quote(world_) + " test.hello --classpath " + quote((dir_ / "classes").string()));
  EXPECT_EQ(started.status, 0) << started.out;
  EXPECT_NE(started.out.find("phantom: " + world_ + ": started "), std::string::npos) << started.out;
  // Nobody is attached: program output goes to the log.
  EXPECT_TRUE(eventually([&] { return read_file(world_ + ".log").find("hello from a started thread\n") != std::string::npos; }))
      << read_file(world_ + ".log");
  Outcome missing = phantom("start --world " + quote(world_) + " .test.nosuch");
  EXPECT_EQ(missing.status, 1) << missing.out;
  EXPECT_NE(missing.out.find("phantom: " + world_ + ": "), std::string::npos) << missing.out;

  nlohmann::json stopped = phantom_json("stop " + quote(world_) + " --json");
  EXPECT_EQ(stopped["pid"], pid);
  EXPECT_EQ(stopped["exited"], true);
  std::uint64_t last = stopped["last_snapshot"];
  EXPECT_GT(last, seq + 1);
  // The stream ended when the kernel closed the process's descriptors, a moment before it is a zombie.
  EXPECT_TRUE(eventually([&] { return !process_running(pid); }, 2000));
  EXPECT_FALSE(fs::exists(world_ + ".sock"));
  nlohmann::json snapshots = phantom_json("snapshots " + quote(world_) + " --json");
  ASSERT_TRUE(snapshots.is_array() && !snapshots.empty());
  EXPECT_EQ(snapshots.back()["seq"], last);
  EXPECT_NE(read_file(world_ + ".log").find("(shutdown"), std::string::npos) << read_file(world_ + ".log");

  Outcome gone = phantom("status " + quote(world_));
  EXPECT_EQ(gone.status, 1);
  EXPECT_NE(gone.out.find("phantom: " + world_ + ": the world is not running"), std::string::npos) << gone.out;
}

TEST_F(ControlSocket, SecondUserIsRefusedByThePeerCheck) {
  if (::getuid() != 0) GTEST_SKIP() << "switching to the user nobody (setpriv) needs root";
  pid_t pid = start_detached();
  ASSERT_GT(pid, 0);
  std::string as_nobody = "setpriv --reuid=nobody --regid=nogroup --clear-groups ";
  // With the socket's own mode (0600) the kernel already keeps another user out.
  auto denied = run_shell(as_nobody + PHANTOM_BINARY + " status " + quote(world_) + " 2>&1");
  EXPECT_EQ(denied.status, 1) << denied.out;
  EXPECT_NE(denied.out.find("permission denied (the world runs as another user)"), std::string::npos) << denied.out;
  // Opened up by mistake: the server still refuses, by the peer's credentials, and says why.
  ASSERT_EQ(::chmod((world_ + ".sock").c_str(), 0666), 0);
  auto refused = run_shell(as_nobody + PHANTOM_BINARY + " status " + quote(world_) + " 2>&1");
  EXPECT_EQ(refused.status, 1) << refused.out;
  EXPECT_NE(refused.out.find("phantom: " + world_ +
                             ": permission denied: user nobody (uid 65534) may not control this world; it runs as user root (uid 0)"),
            std::string::npos)
      << refused.out;
  auto stop = run_shell(as_nobody + PHANTOM_BINARY + " stop " + quote(world_) + " 2>&1");
  EXPECT_EQ(stop.status, 1) << stop.out;
  EXPECT_TRUE(process_running(pid));
  EXPECT_EQ(phantom("stop " + quote(world_)).status, 0);
}

TEST_F(ControlSocket, StaleSocketOfAKilledWorldIsReplaced) {
  pid_t pid = start_detached();
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  ASSERT_TRUE(eventually([&] { return !process_running(pid); }));
  ASSERT_TRUE(fs::is_socket(world_ + ".sock"));  // left behind
  Outcome down = phantom("status " + quote(world_));
  EXPECT_EQ(down.status, 1);
  EXPECT_NE(down.out.find("nobody answers (the world is not running)"), std::string::npos) << down.out;

  pid_t again = start_detached();
  ASSERT_GT(again, 0);
  EXPECT_EQ(phantom_json("status " + quote(world_) + " --json")["pid"], again);
  EXPECT_EQ(phantom("stop " + quote(world_)).status, 0);
}

TEST_F(ControlSocket, ASecondRunFailsClearly) {
  pid_t pid = start_detached();
  ASSERT_GT(pid, 0);
  // The same world: its image is locked by the running one.
  Outcome twice = phantom(run_args() + " --detach");
  EXPECT_EQ(twice.status, 1) << twice.out;
  EXPECT_NE(twice.out.find("phantom: " + world_ + ": already running as pid " + std::to_string(pid)), std::string::npos) << twice.out;
  // Not found through its socket (another --control): the image's lock still refuses it, and the
  // detached child's message reaches the terminal.
  Outcome locked = phantom(run_args() + " --detach --control " + quote((dir_ / "elsewhere.sock").string()));
  EXPECT_EQ(locked.status, 1) << locked.out;
  EXPECT_NE(locked.out.find("in use by another process"), std::string::npos) << locked.out;
  EXPECT_NE(locked.out.find("phantom: " + world_ + ": the world did not start"), std::string::npos) << locked.out;
  // Another world on the same control socket: the live socket is not taken over.
  Outcome shared = phantom("run --world " + quote((dir_ / "other.img").string()) + " --arena-size 64M --control " +
                           quote(world_ + ".sock"));
  EXPECT_EQ(shared.status, 1) << shared.out;
  EXPECT_NE(shared.out.find("other.img: the control socket " + world_ + ".sock belongs to the running world " + world_ + " (pid " +
                            std::to_string(pid) + "); choose another with --control"),
            std::string::npos)
      << shared.out;
  EXPECT_EQ(phantom_json("status " + quote(world_) + " --json")["pid"], pid);
  EXPECT_EQ(phantom("stop " + quote(world_)).status, 0);
}

// What a service manager hears on its notification socket (systemd's NOTIFY_SOCKET), within `ms`.
std::string notifications(int fd, int ms) {
  std::string heard;
  pollfd p{fd, POLLIN, 0};
  while (::poll(&p, 1, ms) > 0) {
    char message[512];
    ssize_t n = ::recv(fd, message, sizeof message, 0);
    if (n <= 0) break;
    heard.append(message, static_cast<std::size_t>(n)).append("\n");
    ms = 200;  // after the first one, only what follows at once
  }
  return heard;
}

TEST_F(ControlSocket, ForegroundModeTellsReadyAndStops) {
  std::string control = (dir_ / "ctl.sock").string();
  // Stands in for systemd: a datagram socket named by NOTIFY_SOCKET, as for a unit with Type=notify.
  std::string notify_path = (dir_ / "notify").string();
  int notify = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof address.sun_path, "%s", notify_path.c_str());
  ASSERT_EQ(::bind(notify, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ::setenv("NOTIFY_SOCKET", notify_path.c_str(), 1);
  phantom::test::Child child = phantom::test::spawn_child(
      PHANTOM_BINARY, {"phantom", "run", "--world", world_, "--arena-size", "64M", "--foreground", "--control", control}, true);
  ::unsetenv("NOTIFY_SOCKET");
  daemons_.push_back(child.pid);
  std::string out;
  ASSERT_TRUE(phantom::test::read_until(child.out, out, ": ready; control socket " + control, 20'000)) << out;
  EXPECT_EQ(notifications(notify, 5000), "READY=1\n");
  Outcome status = phantom("status " + quote(world_) + " --control " + quote(control));
  EXPECT_EQ(status.status, 0) << status.out;
  Outcome stopped = phantom("stop --control " + quote(control) + " --world " + quote(world_));
  EXPECT_EQ(stopped.status, 0) << stopped.out;
  EXPECT_NE(stopped.out.find("phantom: " + world_ + ": stopped (pid " + std::to_string(child.pid) + "); last snapshot "), std::string::npos)
      << stopped.out;
  int code = 0;
  ::waitpid(child.pid, &code, 0);
  EXPECT_TRUE(WIFEXITED(code) && WEXITSTATUS(code) == 0) << code;
  EXPECT_EQ(notifications(notify, 1000).substr(0, 11), "STOPPING=1\n");
  ::close(notify);
}

TEST_F(ControlSocket, AttachAndDetachInATerminal) {
  pid_t pid = start_detached();
  ASSERT_GT(pid, 0);
  tmux_ = "phantom-ctl-" + std::to_string(::getpid());
  std::string tmux = "tmux -L " + tmux_ + " ";
  std::string attach = std::string(PHANTOM_BINARY) + " attach " + world_ + "; echo attach exited $?; sleep 60";
  ASSERT_EQ(run_shell(tmux + "new-session -d -x 150 -y 50 -s ctl " + quote(attach)).status, 0);
  auto pane = [&] { return run_shell(tmux + "capture-pane -p -S -200 -t ctl").out; };
  // The shell's prompt was printed while nobody was attached: it is shown first.
  ASSERT_TRUE(eventually([&] { return pane().find("phantom>") != std::string::npos; })) << pane();
  EXPECT_NE(pane().find("attached to the console; Ctrl-] detaches"), std::string::npos) << pane();

  // One attach at a time.
  Outcome second = phantom("attach " + quote(world_));
  EXPECT_EQ(second.status, 1) << second.out;
  EXPECT_NE(second.out.find("the console is already attached by pid "), std::string::npos) << second.out;
  EXPECT_NE(second.out.find("(user root); only one attach at a time"), std::string::npos) << second.out;

  ASSERT_EQ(run_shell(tmux + "send-keys -t ctl 'echo typed through attach' Enter").status, 0);
  ASSERT_TRUE(eventually([&] { return pane().find("typed through attach\nphantom>") != std::string::npos; })) << pane();
  ASSERT_EQ(run_shell(tmux + "send-keys -t ctl C-]").status, 0);
  ASSERT_TRUE(eventually([&] { return pane().find("attach exited 0") != std::string::npos; })) << pane();
  EXPECT_NE(pane().find("detached; the world keeps running"), std::string::npos) << pane();
  EXPECT_TRUE(process_running(pid));
  EXPECT_EQ(phantom_json("status " + quote(world_) + " --json")["pid"], pid);

  // Detached, a new attach is welcome again.
  std::string again = std::string(PHANTOM_BINARY) + " attach " + world_ + "; echo second attach exited $?; sleep 60";
  ASSERT_EQ(run_shell(tmux + "new-session -d -x 150 -y 50 -s ctl2 " + quote(again)).status, 0);
  ASSERT_TRUE(eventually([&] { return run_shell(tmux + "capture-pane -p -t ctl2").out.find("Ctrl-] detaches") != std::string::npos; }));
  EXPECT_EQ(phantom("stop " + quote(world_)).status, 0);
  // The world stopped under the attached terminal: the attach ends by itself.
  ASSERT_TRUE(eventually([&] { return run_shell(tmux + "capture-pane -p -t ctl2").out.find("second attach exited 0") != std::string::npos; }))
      << run_shell(tmux + "capture-pane -p -t ctl2").out;
}

}  // namespace
