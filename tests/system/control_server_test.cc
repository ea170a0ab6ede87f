// The control server and client in one process, over a real Unix socket, against a stand-in world
// (system/control_server.h, system/control_client.h): every verb, errors, the console's attach rules,
// and stale and live socket files. The real `phantom run` is tested end to end in tests/cli/control_test.cc.
#include "system/control_server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "host/local_socket.h"
#include "system/control_client.h"

namespace fs = std::filesystem;
using namespace phantom;
using namespace phantom::system;

namespace {

class StandInWorld final : public RunningWorld {
 public:
  Result<std::string> start_class(const std::string& class_name, const std::vector<std::string>& extra) override {
    started.push_back(class_name);
    class_paths = extra;
    if (class_name == ".no.such") return make_error(Errc::not_found, "{}: class not found", class_name);
    return std::string("thread 7");
  }
  Result<std::uint64_t> snapshot_now() override { return ++seq; }
  void request_stop() override { stops++; }
  WorldStatus status() override {
    WorldStatus s;
    s.world = "w.img";
    s.pid = ::getpid();
    s.uptime_ms = 1234;
    s.threads = 3;
    s.heap_used = 4096;
    s.last_snapshot_seq = seq;
    s.pause_p99_ms = 0.5;
    s.pending_output_bytes = 17;
    return s;
  }
  std::vector<std::string> started, class_paths;
  std::uint64_t seq = 41;
  int stops = 0;
};

class ControlServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("phantom-control-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    target_ = {"w.img", (dir_ / "w.sock").string()};
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::unique_ptr<ControlServer> serve(AttachableConsole* console = nullptr) {
    auto server = ControlServer::start(world_, console, target_.socket);
    EXPECT_TRUE(server.ok()) << (server.ok() ? "" : server.error().message);
    return server.ok() ? std::move(server).value() : nullptr;
  }
  // One raw request line, one reply line.
  nlohmann::json raw(const std::string& line) {
    auto stream = host::connect_local(target_.socket);
    EXPECT_TRUE(stream.ok());
    EXPECT_TRUE(stream->write_all(line + "\n").ok());
    auto reply = stream->read_line(5000);
    EXPECT_TRUE(reply.ok() && reply->has_value());
    return nlohmann::json::parse(**reply);
  }
  fs::path dir_;
  ControlTarget target_;
  StandInWorld world_;
};

TEST_F(ControlServerTest, ServesStatusSnapshotStartAndStop) {
  auto server = serve();
  auto status = running_world_status(target_);
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ(status->world, "w.img");
  EXPECT_EQ(status->threads, 3u);
  EXPECT_EQ(status->pending_output_bytes, 17u);
  EXPECT_DOUBLE_EQ(status->pause_p99_ms, 0.5);

  auto seq = snapshot_running_world(target_);
  ASSERT_TRUE(seq.ok());
  EXPECT_EQ(*seq, 42u);

  auto started = start_in_running_world(target_, ".demo.x", {"rel/dir"});
  ASSERT_TRUE(started.ok()) << started.error().message;
  EXPECT_EQ(*started, "thread 7 (.demo.x)");
  ASSERT_EQ(world_.class_paths.size(), 1u);
  EXPECT_TRUE(fs::path(world_.class_paths[0]).is_absolute()) << "the world may run in another directory";

  auto missing = start_in_running_world(target_, ".no.such", {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "w.img: .no.such: class not found");

  // The stand-in's process does not exit, so the stop waits for its timeout and says so.
  auto stopped = stop_running_world(target_, 200);
  ASSERT_TRUE(stopped.ok()) << stopped.error().message;
  EXPECT_EQ(world_.stops, 1);
  EXPECT_EQ(stopped->pid, ::getpid());
  EXPECT_FALSE(stopped->exited);
}

TEST_F(ControlServerTest, AnswersBadRequestsWithAnError) {
  auto server = serve();
  EXPECT_EQ(raw("not json")["error"], "a request is one JSON object with a \"verb\" on one line");
  EXPECT_EQ(raw(R"({"verb":"dance"})")["error"], "unknown verb 'dance' (known: start, snapshot, stop, status, attach, screenshot, input)");
  EXPECT_EQ(raw(R"({"verb":"start"})")["error"], "start needs a \"class\" string");
  EXPECT_EQ(raw(R"({"verb":"start","class":".a","classpath":7})")["ok"], false);
  EXPECT_EQ(raw(R"({"verb":"attach"})")["error"],
            "this world's console is its terminal; only a world started with --detach or --foreground can be attached");
  EXPECT_TRUE(raw(R"({"verb":"status"})")["ok"]);
}

TEST_F(ControlServerTest, NotRunningIsAClearError) {
  auto status = running_world_status(target_);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("w.img: the world is not running"), std::string::npos) << status.error().message;
}

TEST_F(ControlServerTest, ReplacesAStaleSocketButNotALiveOne) {
  {
    // A socket file nobody accepts on, as a world killed with kill -9 leaves it: bound, then closed.
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", target_.socket.c_str());
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ::close(fd);
  }
  ASSERT_TRUE(fs::is_socket(target_.socket));
  auto server = serve();
  ASSERT_TRUE(server);
  EXPECT_TRUE(running_world_status(target_).ok());

  auto second = ControlServer::start(world_, nullptr, target_.socket);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().message, target_.socket + ": a running world already answers on this control socket");
}

TEST_F(ControlServerTest, RefusesAPathThatIsNotASocket) {
  std::ofstream(target_.socket) << "data";
  auto server = ControlServer::start(world_, nullptr, target_.socket);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.error().message, target_.socket + ": exists and is not a socket; will not replace it");
}

TEST_F(ControlServerTest, TheSocketIsForItsOwnerOnly) {
  auto server = serve();
  EXPECT_EQ(fs::status(target_.socket).permissions() & fs::perms::all, fs::perms::owner_read | fs::perms::owner_write);
}

TEST_F(ControlServerTest, OneAttachAtATimeWithTheBacklogFirst) {
  AttachableConsole console;
  auto server = serve(&console);
  console.write_output("before attach\n");  // nobody attached: kept for the first client
  EXPECT_EQ(console.poll_input(), vm::Console::input_none);

  auto first = host::connect_local(target_.socket);
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->write_all("{\"verb\":\"attach\"}\n").ok());
  auto welcome = first->read_line(5000);
  ASSERT_TRUE(welcome.ok() && welcome->has_value());
  EXPECT_EQ(nlohmann::json::parse(**welcome)["detach_key"], "Ctrl-]");
  std::string seen;
  while (seen.find("before attach\n") == std::string::npos) {
    auto bytes = first->read_some(5000);
    ASSERT_TRUE(bytes.ok() && !bytes->empty());
    seen += *bytes;
  }

  auto second = host::connect_local(target_.socket);
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(second->write_all("{\"verb\":\"attach\"}\n").ok());
  auto refused = second->read_line(5000);
  ASSERT_TRUE(refused.ok() && refused->has_value());
  std::string message = nlohmann::json::parse(**refused)["error"];
  EXPECT_NE(message.find("the console is already attached by pid " + std::to_string(::getpid())), std::string::npos) << message;

  console.write_output("while attached\n");
  seen.clear();
  while (seen.find("while attached\n") == std::string::npos) {
    auto bytes = first->read_some(5000);
    ASSERT_TRUE(bytes.ok() && !bytes->empty());
    seen += *bytes;
  }
  ASSERT_TRUE(first->write_all("hi\n").ok());
  for (int i = 0; i < 500 && console.poll_input() != 'h'; i++) ::usleep(10'000);
  EXPECT_EQ(console.poll_input(), 'i');

  *first = host::LocalStream();  // the client goes away: detached, and a new one may attach
  for (int i = 0; i < 500 && !console.attached_client().empty(); i++) ::usleep(10'000);
  EXPECT_EQ(console.attached_client(), "");
  console.write_output("after detach\n");
  auto third = host::connect_local(target_.socket);
  ASSERT_TRUE(third->write_all("{\"verb\":\"attach\"}\n").ok());
  auto again = third->read_line(5000);
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_TRUE(nlohmann::json::parse(**again)["ok"]);
}

TEST(AttachableConsoleTest, TheBacklogIsBoundedAndSaysWhatItDropped) {
  AttachableConsole console(8);
  console.write_output("0123456789abcdef");
  std::string got;
  auto token = console.attach("me", [&got](std::string_view b) { got.append(b); return true; }, "");
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(got, "[phantom: 8 earlier bytes of output were dropped]\n89abcdef");
}

}  // namespace
