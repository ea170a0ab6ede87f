// tcp: and udp: end to end (docs/network.md): the real `phantom` binary runs tests/net/net_programs.ph
// against real peers on loopback (this test's own sockets), with kill -9 restarts timed from lines the
// world printed and from the snapshots it logged (--log-snapshots).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "support/child_process.h"
#include "support/program_test.h"

namespace phantom {
namespace {

namespace fs = std::filesystem;

// One `phantom run` of the test's world, its output read as it comes.
class World {
 public:
  World(const fs::path& dir, const std::string& boot, std::vector<std::string> extra) {
    std::vector<std::string> args = {"phantom", "run", "--world", (dir / "w.img").string(), "--boot", boot,
                                     "--classpath", (dir / "classes").string(), "--arena-size", "64M",
                                     "--log-snapshots"};
    args.insert(args.end(), extra.begin(), extra.end());
    child_ = test::spawn_child(PHANTOM_BINARY, args, true);
  }
  ~World() { kill(); }
  // Waits for a line starting with `prefix` after what was read so far; returns the rest of it.
  bool line(const std::string& prefix, std::string& rest, int ms = 10000) {
    std::string want = "\n" + prefix;
    if (out_.rfind(prefix, from_) == from_ && from_ == 0) want = prefix;
    if (!test::read_until(child_.out, out_, want, ms, from_)) return false;
    std::size_t at = out_.find(want, from_) + want.size();
    if (!test::read_until(child_.out, out_, "\n", ms, at)) return false;
    std::size_t end = out_.find('\n', at);
    rest = out_.substr(at, end - at);
    from_ = end;
    return true;
  }
  int number(const std::string& prefix) {
    std::string rest;
    return line(prefix, rest) ? std::stoi(rest) : -1;
  }
  // Whether `text` appears in what the world prints from now on within `ms`.
  bool prints(const std::string& text, int ms) { return test::read_until(child_.out, out_, text, ms, out_.size()); }
  // Waits until a snapshot captured after everything read so far has committed.
  bool committed_since_now(int ms = 10000) {
    std::size_t from = out_.size();
    return test::read_next(child_.out, out_, "snapshot captured", ms, from) &&
           test::read_next(child_.out, out_, " committed", ms, from);
  }
  void kill() {
    if (child_.pid <= 0) return;
    ::kill(child_.pid, SIGKILL);
    int status = 0;
    ::waitpid(child_.pid, &status, 0);
    out_ += test::drain(child_.out);
    child_.pid = -1;
  }
  // Waits for the world to end by itself.
  void wait_exit() {
    if (child_.pid <= 0) return;
    out_ += test::drain(child_.out);
    int status = 0;
    ::waitpid(child_.pid, &status, 0);
    child_.pid = -1;
  }
  // Reads what the world printed so far without waiting. A test that works the world hard between two
  // waits calls it, so that the world's snapshot log never fills the pipe: a world whose log write
  // blocks stops committing, and its held output never goes out.
  void pump() { test::read_available(child_.out, out_); }
  const std::string& out() const { return out_; }

 private:
  test::Child child_;
  std::string out_;
  std::size_t from_ = 0;
};

// ---- this test's side of the network (plain blocking sockets with timeouts) ----

int connect_to(int port, int family = AF_INET) {
  int fd = ::socket(family, SOCK_STREAM, 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (family == AF_INET) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return fd;
  } else {
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(static_cast<std::uint16_t>(port));
    a.sin6_addr = in6addr_loopback;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) return fd;
  }
  ::close(fd);
  return -1;
}

// Sends `text` and reads until as many bytes came back (or 5 s passed).
std::string echo(int fd, const std::string& text) {
  if (::send(fd, text.data(), text.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(text.size())) return "<send failed>";
  std::string got;
  char buf[4096];
  while (got.size() < text.size()) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got;
}

// A listener on 127.0.0.1 or [::1] at a free port; returns its fd and sets `port`.
int listen_on(int& port, int family = AF_INET) {
  int fd = ::socket(family, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_storage ss{};
  socklen_t len;
  if (family == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
    len = sizeof *a;
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(fd, 16) != 0) return -1;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  port = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return fd;
}

// Serves one connection: reads a line, answers "you said: LINE" and closes.
std::thread serve_once(int listener) {
  return std::thread([listener] {
    pollfd p{listener, POLLIN, 0};
    if (::poll(&p, 1, 20000) != 1) return;
    int c = ::accept(listener, nullptr, nullptr);
    std::string line;
    char ch;
    while (::recv(c, &ch, 1, 0) == 1 && ch != '\n') line += ch;
    std::string answer = "you said: " + line + "\n";
    ::send(c, answer.data(), answer.size(), MSG_NOSIGNAL);
    ::close(c);
  });
}

class NetWorld : public test::ProgramTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(compile_program("phantom_net_", PHANTOM_BINARY, NET_PROGRAMS_DIR "/net_programs.ph"));
  }
  std::vector<std::string> env(std::initializer_list<std::string> values) {
    std::vector<std::string> out;
    for (const auto& v : values) {
      out.push_back("--env");
      out.push_back(v);
    }
    return out;
  }
};

// A C++ client of an echo server in the world; then 1,000 connections opened and dropped one after
// the other while the world keeps serving, and an echo after them.
TEST_F(NetWorld, EchoServerInTheWorldServesAClientAndSurvivesAThousandDroppedConnections) {
  World world(dir_, ".test.net_echo_server", {"--interval", "100"});
  int port = world.number("listening ");
  ASSERT_GT(port, 0) << world.out();
  int fd = connect_to(port);
  ASSERT_GE(fd, 0);
  EXPECT_EQ(echo(fd, "hello world"), "hello world");
  ::close(fd);
  for (int i = 0; i < 1000; ++i) {
    int d = connect_to(port);
    ASSERT_GE(d, 0) << "connection " << i;
    if (i % 2) ::send(d, "x", 1, MSG_NOSIGNAL);  // half of them send a byte before they go
    ::close(d);
    world.pump();
  }
  int last = connect_to(port);
  ASSERT_GE(last, 0);
  EXPECT_EQ(echo(last, "still here"), "still here") << world.out();
  ::close(last);
  EXPECT_TRUE(world.prints("served 1000", 20000)) << world.out();
}

// A Phantom client of a C++ server: by number, by the name localhost (DNS), and over IPv6 loopback.
TEST_F(NetWorld, PhantomClientTalksToAServerByAddressByNameAndOverIpv6) {
  struct Case {
    const char* host;
    int family;
  };
  for (Case k : {Case{"127.0.0.1", AF_INET}, Case{"localhost", AF_INET}, Case{"::1", AF_INET6}}) {
    SCOPED_TRACE(k.host);
    int port = 0;
    int listener = listen_on(port, k.family);
    ASSERT_GE(listener, 0);
    std::thread server = serve_once(listener);
    fs::remove(dir_ / "w.img");
    World world(dir_, ".test.net_client", env({std::string("HOST=") + k.host, "PORT=" + std::to_string(port)}));
    std::string rest;
    EXPECT_TRUE(world.line("got: ", rest)) << world.out();
    EXPECT_EQ(rest, "you said: hello from phantom");
    world.wait_exit();
    server.join();
    ::close(listener);
  }
}

TEST_F(NetWorld, RefusedConnectionIsAnErrorNamingThePeer) {
  int port = 0;
  int listener = listen_on(port);
  ::close(listener);  // nobody listens there now
  World world(dir_, ".test.net_client", env({"HOST=127.0.0.1", "PORT=" + std::to_string(port)}));
  std::string rest;
  ASSERT_TRUE(world.line("error: ", rest)) << world.out();
  EXPECT_EQ(rest, "tcp 127.0.0.1:" + std::to_string(port) + ": connection refused");
}

TEST_F(NetWorld, ConnectRulesRefuseOtherPeers) {
  int port = 0;
  int listener = listen_on(port);
  World world(dir_, ".test.net_client",
              [&] {
                auto args = env({"HOST=127.0.0.1", "PORT=" + std::to_string(port)});
                args.insert(args.end(), {"--connect", "127.0.0.1:1"});
                return args;
              }());
  std::string rest;
  ASSERT_TRUE(world.line("error: ", rest)) << world.out();
  EXPECT_NE(rest.find("not allowed by the world's --connect rules"), std::string::npos) << rest;
  ::close(listener);
}

TEST_F(NetWorld, ListeningBeyondLoopbackNeedsListenRule) {
  {
    World world(dir_, ".test.net_echo_server", env({"ADDR=0.0.0.0", "PORT=0"}));
    std::string rest;
    ASSERT_TRUE(world.line("error: ", rest)) << world.out();
    EXPECT_NE(rest.find("a world listens only on loopback unless started with `phantom run --listen"), std::string::npos) << rest;
  }
  fs::remove(dir_ / "w.img");
  auto args = env({"ADDR=0.0.0.0", "PORT=0"});
  args.insert(args.end(), {"--listen", "0.0.0.0:*"});
  World allowed(dir_, ".test.net_echo_server", args);
  EXPECT_GT(allowed.number("listening "), 0) << allowed.out();
}

TEST_F(NetWorld, MalformedRuleIsRefusedBeforeTheWorldStarts) {
  auto r = test::run_shell(std::string(PHANTOM_BINARY) + " run --world " + (dir_ / "w.img").string() +
                           " --listen nonsense 2>&1");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.out.find("--listen nonsense: expected HOST:PORT"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir_ / "w.img"));
}

TEST_F(NetWorld, UdpEcho) {
  World world(dir_, ".test.net_udp_echo", {});
  int port = world.number("udp ");
  ASSERT_GT(port, 0) << world.out();
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (std::string msg : {"one", "two", "three"}) {
    ASSERT_EQ(::sendto(fd, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a), static_cast<ssize_t>(msg.size()));
    char buf[100];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    ASSERT_GT(n, 0) << world.out();
    EXPECT_EQ(std::string(buf, static_cast<std::size_t>(n)), "echo: " + msg);
  }
  ::close(fd);
}

// Restart semantics with a real kill -9: the listener is bound again on the same port, and the stream
// that was open at the kill reports "connection lost by restart" to the server thread that was
// waiting on it; a new client is served.
TEST_F(NetWorld, RestartBindsTheListenerAgainAndReportsTheLostStream) {
  int port;
  {
    World world(dir_, ".test.net_echo_server", {"--interval", "100"});
    port = world.number("listening ");
    ASSERT_GT(port, 0) << world.out();
    int fd = connect_to(port);
    ASSERT_GE(fd, 0);
    EXPECT_EQ(echo(fd, "before"), "before");
    // The server thread now waits in receive on this stream: a snapshot after this point holds that.
    ASSERT_TRUE(world.committed_since_now()) << world.out();
    world.kill();
    ::close(fd);
  }
  World again(dir_, ".test.net_echo_server", {"--interval", "100"});
  std::string rest;
  ASSERT_TRUE(again.line("error: ", rest)) << again.out();
  EXPECT_NE(rest.find(": connection lost by restart"), std::string::npos) << rest;
  EXPECT_EQ(rest.rfind("tcp 127.0.0.1:", 0), 0u) << rest;
  int fd = connect_to(port);
  ASSERT_GE(fd, 0) << "the listener was not bound again to port " << port << "\n" << again.out();
  EXPECT_EQ(echo(fd, "after"), "after");
  ::close(fd);
}

// A committed send leaves the world only after a snapshot commit: with snapshots otherwise an hour
// apart, the echo still comes (pending output makes the next snapshot come early), and a commit is
// logged for it. An immediate socket answers with no snapshot at all.
TEST_F(NetWorld, CommittedSendWaitsForACommitAndImmediateDoesNot) {
  for (bool immediate : {false, true}) {
    SCOPED_TRACE(immediate ? "immediate" : "committed");
    fs::remove(dir_ / "w.img");
    auto args = env({std::string("MODE=") + (immediate ? "immediate" : "committed")});
    args.insert(args.end(), {"--interval", "3600000"});
    World world(dir_, ".test.net_echo_server", args);
    int port = world.number("listening ");
    ASSERT_GT(port, 0) << world.out();
    int fd = connect_to(port);
    ASSERT_GE(fd, 0);
    world.prints("", 300);  // whatever the boot printed is read before the request
    std::size_t commits_before = 0;
    for (std::size_t at = world.out().find(" committed"); at != std::string::npos; at = world.out().find(" committed", at + 1))
      ++commits_before;
    EXPECT_EQ(echo(fd, "ping"), "ping");
    world.prints("", 300);
    std::size_t commits_after = 0;
    for (std::size_t at = world.out().find(" committed"); at != std::string::npos; at = world.out().find(" committed", at + 1))
      ++commits_after;
    if (immediate) EXPECT_EQ(commits_after, commits_before) << world.out();
    else EXPECT_GT(commits_after, commits_before) << world.out();
    ::close(fd);
  }
}


// Reads until the peer closes: what came, and whether it ended cleanly (0) or with an error (errno).
std::string read_to_end(int fd, int& error) {
  std::string got;
  char buf[65536];
  error = 0;
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      got.append(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0) error = errno;
    return got;
  }
}

// A world that sends 8 MiB and closes at once, while its peer has not read yet and has sent bytes the
// world never reads: the peer still gets every byte, in order, and then a clean end of stream (not a
// reset). Also with the second half sent immediate behind committed bytes still waiting for their
// commit: those bytes do not overtake the committed ones, and the immediate close waits for them too.
TEST_F(NetWorld, CloseDeliversEveryByteInOrderAndEndsCleanly) {
  for (std::string mode : {"committed", "mixed"}) {
    SCOPED_TRACE(mode);
    fs::remove(dir_ / "w.img");
    World world(dir_, ".test.net_bulk_sender", env({"CHUNKS=128", "MODE=" + mode}));
    int port = world.number("listening ");
    ASSERT_GT(port, 0) << world.out();
    int fd = connect_to(port);
    ASSERT_GE(fd, 0);
    std::string junk(4096, 'j');
    ASSERT_EQ(::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL), static_cast<ssize_t>(junk.size()));
    std::string rest;
    ASSERT_TRUE(world.line("closed", rest)) << world.out();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the world has closed; more junk after it
    ::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL);
    int error = 0;
    std::string got = read_to_end(fd, error);
    EXPECT_EQ(error, 0) << std::strerror(error);
    EXPECT_EQ(got.size(), 128u * 65536 + 4);
    EXPECT_EQ(got.size() >= 4 ? got.substr(got.size() - 4) : got, "END\n");
    EXPECT_EQ(got.find("END"), got.size() - 4);
    ::close(fd);
  }
}

// connect() again on a socket object whose peer has closed makes a new connection to the same peer.
TEST_F(NetWorld, ConnectAgainOnTheSameSocketMakesANewConnection) {
  int port = 0;
  int listener = listen_on(port);
  ASSERT_GE(listener, 0);
  std::thread server([listener] {
    pollfd p{listener, POLLIN, 0};
    if (::poll(&p, 1, 10000) != 1) return;
    int first = ::accept(listener, nullptr, nullptr);
    ::send(first, "one\n", 4, MSG_NOSIGNAL);
    ::close(first);
    if (::poll(&p, 1, 10000) != 1) return;
    int second = ::accept(listener, nullptr, nullptr);
    std::string line;
    char ch;
    while (::recv(second, &ch, 1, 0) == 1 && ch != '\n') line += ch;
    std::string answer = "you said: " + line + "\n";
    ::send(second, answer.data(), answer.size(), MSG_NOSIGNAL);
    ::close(second);
  });
  World world(dir_, ".test.net_reconnect", env({"HOST=127.0.0.1", "PORT=" + std::to_string(port)}));
  std::string rest;
  EXPECT_TRUE(world.line("first: ", rest)) << world.out();
  EXPECT_EQ(rest, "one");
  EXPECT_TRUE(world.line("second: ", rest)) << world.out();
  EXPECT_EQ(rest, "you said: again");
  world.wait_exit();
  server.join();
  ::close(listener);
}

// The stt: counters 6-9 (TCP and UDP bytes received and sent) after known traffic.
TEST_F(NetWorld, StatisticsCountTheBytesOfTcpAndUdp) {
  int port = 0;
  int listener = listen_on(port);
  ASSERT_GE(listener, 0);
  int udp = ::socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in ua{};
  ua.sin_family = AF_INET;
  ua.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t ulen = sizeof ua;
  ASSERT_EQ(::bind(udp, reinterpret_cast<sockaddr*>(&ua), sizeof ua), 0);
  ::getsockname(udp, reinterpret_cast<sockaddr*>(&ua), &ulen);
  int uport = ntohs(ua.sin_port);
  std::thread tcp_peer([listener] {
    pollfd p{listener, POLLIN, 0};
    if (::poll(&p, 1, 10000) != 1) return;
    int c = ::accept(listener, nullptr, nullptr);
    timeval tv{10, 0};
    ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::size_t got = 0;
    char buf[256];
    while (got < 100) {
      ssize_t n = ::recv(c, buf, sizeof buf, 0);
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    std::string fifty(50, 'f');
    ::send(c, fifty.data(), fifty.size(), MSG_NOSIGNAL);
    while (::recv(c, buf, sizeof buf, 0) > 0) {
    }
    ::close(c);
  });
  std::thread udp_peer([udp] {
    pollfd p{udp, POLLIN, 0};
    if (::poll(&p, 1, 10000) != 1) return;
    char buf[256];
    sockaddr_storage from{};
    socklen_t len = sizeof from;
    ::recvfrom(udp, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
    std::string twenty(20, 't');
    ::sendto(udp, twenty.data(), twenty.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
  });
  World world(dir_, ".test.net_stats", env({"PORT=" + std::to_string(port), "UPORT=" + std::to_string(uport)}));
  std::string rest;
  EXPECT_TRUE(world.line("stats ", rest)) << world.out();
  EXPECT_EQ(rest, "50 100 20 30");
  world.wait_exit();
  tcp_peer.join();
  udp_peer.join();
  ::close(listener);
  ::close(udp);
}

// A listener and a UDP socket closed by the program free their port at once: binding it again works.
TEST_F(NetWorld, ClosedListenerAndUdpSocketCanBeBoundAgainAtOnce) {
  World world(dir_, ".test.net_rebind", {"--interval", "3600000"});
  EXPECT_TRUE(world.prints("rebound\n", 10000)) << world.out();
}

// Malformed addresses from a program are thrown strings; the world goes on.
TEST_F(NetWorld, MalformedAddressesAreClearErrors) {
  World world(dir_, ".test.net_bad_addresses", {});
  world.wait_exit();
  const std::string& out = world.out();
  EXPECT_NE(out.find("done\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("??"), std::string::npos) << out;
  std::size_t bad = 0;
  for (std::size_t at = out.find("bad: "); at != std::string::npos; at = out.find("bad: ", at + 1)) ++bad;
  EXPECT_EQ(bad, 14u * 2 + 5) << out;
  EXPECT_NE(out.find("bad: tcp: not connected (call connect first)"), std::string::npos) << out;
  EXPECT_NE(out.find("expected tcp:HOST:PORT"), std::string::npos) << out;
}

// 4,096 TCP connections per world: the next accept says so; the world keeps the ones it has.
TEST_F(NetWorld, TheConnectionLimitIsAClearError) {
  World world(dir_, ".test.net_many", {"--interval", "1000"});
  int port = world.number("listening ");
  ASSERT_GT(port, 0) << world.out();
  std::vector<int> fds;
  for (int i = 0; i < 4100; ++i) {
    int fd = connect_to(port);
    ASSERT_GE(fd, 0) << "connection " << i << ": " << std::strerror(errno);
    fds.push_back(fd);
  }
  std::string rest;
  ASSERT_TRUE(world.line("error: ", rest, 30000)) << world.out();
  EXPECT_NE(rest.find("too many TCP connections"), std::string::npos) << rest;
  EXPECT_EQ(world.number("accepted "), 4095);  // the listener is one of the 4,096
  for (int fd : fds) ::close(fd);
}

// A peer that never reads: the world's sends fail once 16 MiB wait, with a clear error.
TEST_F(NetWorld, APeerThatNeverReadsFillsTheSendQueueToAClearError) {
  World world(dir_, ".test.net_flood_sender", {});
  int port = world.number("listening ");
  ASSERT_GT(port, 0) << world.out();
  int fd = connect_to(port);
  ASSERT_GE(fd, 0);
  std::string rest;
  ASSERT_TRUE(world.line("error: ", rest, 30000)) << world.out();
  EXPECT_NE(rest.find("send queue full"), std::string::npos) << rest;
  EXPECT_NE(rest.find("the peer does not read"), std::string::npos) << rest;
  int sent = world.number("sent ");
  EXPECT_GE(sent, 16);
  EXPECT_LE(sent, 48);  // 16 MiB queued plus what the kernel's buffers took
  ::close(fd);
}

}  // namespace
}  // namespace phantom
