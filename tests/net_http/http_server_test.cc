// The HTTP server end to end (docs/network.md "HTTP server"): the real `phantom` binary runs
// examples/counter-service on a free loopback port; curl and raw sockets talk to it. Bad peers
// (garbage, a 1 MiB header, a client sending a byte a second, 1,000 connections opened and dropped)
// must never stop it serving others. The key test kills the world with SIGKILL at random instants
// while a client sends POST /inc as fast as it can: no increment the client got a 200 for may be lost,
// and none may appear that was never sent. The same with immediate answers loses some, which shows
// that the check can fail.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "support/child_process.h"
#include "support/free_port.h"

namespace phantom {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

int free_port() { return test::free_loopback_port(); }

// A blocking loopback connection with a receive timeout; -1 when refused.
int dial(int port, int timeout_ms = 5000) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

struct Response {
  int status = 0;  // 0: none (closed, timed out)
  std::string body;
};

// Reads one response (head, then Content-Length bytes) from `fd`; `pending` keeps bytes read past it.
Response read_response(int fd, std::string& pending) {
  Response r;
  char buffer[4096];
  std::size_t head_end;
  while ((head_end = pending.find("\r\n\r\n")) == std::string::npos) {
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return r;
    pending.append(buffer, static_cast<std::size_t>(n));
  }
  std::string head = pending.substr(0, head_end);
  std::size_t length = 0;
  if (auto at = head.find("Content-Length: "); at != std::string::npos) length = std::stoul(head.substr(at + 16));
  while (pending.size() < head_end + 4 + length) {
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return r;
    pending.append(buffer, static_cast<std::size_t>(n));
  }
  if (head.rfind("HTTP/1.1 ", 0) == 0) r.status = std::atoi(head.c_str() + 9);
  r.body = pending.substr(head_end + 4, length);
  pending.erase(0, head_end + 4 + length);
  return r;
}

// Everything the server sends until it closes the connection (or `ms` pass without a byte).
std::string read_to_close(int fd) {
  std::string out;
  char buffer[4096];
  ssize_t n;
  while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) out.append(buffer, static_cast<std::size_t>(n));
  return out;
}

// Runs `command` (a shell line), returns its stdout.
std::string run(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, p)) > 0) out.append(buffer, n);
  ::pclose(p);
  return out;
}

long value_in(const std::string& body) {
  auto at = body.find("\"value\":");
  return at == std::string::npos ? -1 : std::stol(body.substr(at + 8));
}

// One counter-service world in a scratch directory, started and killed as a real process.
class CounterWorld {
 public:
  explicit CounterWorld(bool immediate) : immediate_(immediate), port_(free_port()) {
    dir_ = fs::temp_directory_path() / ("phantom_http_" + std::to_string(::getpid()) + "_" + std::to_string(port_));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~CounterWorld() {
    kill();
    fs::remove_all(dir_);
  }
  int port() const { return port_; }

  // Boots the world (the first time) or resumes it; returns when the port accepts connections.
  bool start() {
    std::vector<std::string> args = {PHANTOM_BINARY, "run", "--world", (dir_ / "w.img").string(), "--arena-size", "128M",
                                     "--boot", ".examples.counter_service", "--classpath", CLASSES_DIR,
                                     "--env", "PORT=" + std::to_string(port_)};
    if (immediate_) args.insert(args.end(), {"--env", "IMMEDIATE=1"});
    child_ = test::spawn_child(PHANTOM_BINARY, args, true);
    for (auto until = Clock::now() + 30s; Clock::now() < until; std::this_thread::sleep_for(5ms)) {
      int fd = dial(port_);
      if (fd >= 0) {
        ::close(fd);
        return true;
      }
      int status;
      if (::waitpid(child_.pid, &status, WNOHANG) == child_.pid) {
        ADD_FAILURE() << "phantom exited: " << test::drain(child_.out);
        child_.pid = -1;
        return false;
      }
    }
    return false;
  }
  void kill() {
    if (child_.pid <= 0) return;
    ::kill(child_.pid, SIGKILL);
    ::waitpid(child_.pid, nullptr, 0);
    ::close(child_.out);
    child_.pid = -1;
  }

 private:
  bool immediate_;
  int port_;
  fs::path dir_;
  test::Child child_;
};

std::string url(int port, const std::string& path) { return "http://127.0.0.1:" + std::to_string(port) + path; }

class HttpServer : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(world_.start()); }
  CounterWorld world_{false};
};

TEST_F(HttpServer, CurlGetPostChunkedKeepAliveAnd404) {
  int port = world_.port();
  EXPECT_EQ(run("curl -s " + url(port, "/value")), "{\"value\":0}\n");
  EXPECT_EQ(run("curl -s -X POST " + url(port, "/inc")), "{\"value\":1}\n");
  EXPECT_EQ(run("curl -s -d 'a body the service ignores' " + url(port, "/add?n=5")), "{\"value\":6}\n");
  // A chunked upload: curl sends the body in chunks when told to.
  EXPECT_EQ(run("printf 'x%.0s' $(seq 5000) | curl -s -H 'Transfer-Encoding: chunked' --data-binary @- " +
                url(port, "/add?n=2")),
            "{\"value\":8}\n");
  // Three requests on one connection: curl connects once (num_connects 1, then 0, 0).
  EXPECT_EQ(run("curl -s -w '%{http_code}:%{num_connects} ' -X POST -o /dev/null " + url(port, "/inc") +
                " -o /dev/null " + url(port, "/inc") + " -o /dev/null " + url(port, "/inc")),
            "200:1 200:0 200:0 ");
  EXPECT_EQ(run("curl -s -o /dev/null -w '%{http_code}' " + url(port, "/nope")), "404");
  EXPECT_EQ(run("curl -s -o /dev/null -w '%{http_code}' " + url(port, "/value") + " -X DELETE"), "405");
  EXPECT_EQ(run("curl -s -o /dev/null -w '%{http_code}' -X POST " + url(port, "/add?n=x")), "400");
  EXPECT_EQ(run("curl -s " + url(port, "/value")), "{\"value\":11}\n");
}

TEST_F(HttpServer, PipelinedRequestsAreAnsweredInOrder) {
  int fd = dial(world_.port());
  ASSERT_GE(fd, 0);
  std::string three;
  for (int i = 0; i < 3; ++i) three += "POST /inc HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n";
  ASSERT_TRUE(send_all(fd, three + "GET /value HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
  std::string pending;
  for (long want = 1; want <= 3; ++want) EXPECT_EQ(value_in(read_response(fd, pending).body), want);
  EXPECT_EQ(value_in(read_response(fd, pending).body), 3);
  EXPECT_EQ(read_to_close(fd), "") << "Connection: close ends the connection after its answer";
  ::close(fd);
}

TEST_F(HttpServer, GarbageAndAHugeHeaderCloseOnlyTheirConnection) {
  int fd = dial(world_.port());
  ASSERT_TRUE(send_all(fd, std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11)));
  std::string answer = read_to_close(fd);
  ::close(fd);
  EXPECT_EQ(answer.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << answer;
  EXPECT_NE(answer.find("not an HTTP request"), std::string::npos) << answer;

  fd = dial(world_.port());
  std::string big = "GET /value HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(1 << 20, 'b') + "\r\n\r\n";
  send_all(fd, big);  // the server may close before taking it all
  answer = read_to_close(fd);
  ::close(fd);
  EXPECT_EQ(answer.rfind("HTTP/1.1 431 Request Header Fields Too Large\r\n", 0), 0u) << answer.substr(0, 200);

  EXPECT_EQ(run("curl -s " + url(world_.port(), "/value")), "{\"value\":0}\n") << "the server still serves";
}

TEST_F(HttpServer, ASlowClientDoesNotHoldUpOthers) {
  int slow = dial(world_.port(), 20000);
  ASSERT_GE(slow, 0);
  const std::string request = "POST /inc HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n";
  std::atomic<bool> sent_all{false};
  std::thread trickle([&] {  // one byte a second for the first 6, then the rest at once
    for (std::size_t i = 0; i < 6; ++i) {
      send_all(slow, request.substr(i, 1));
      std::this_thread::sleep_for(1s);
    }
    send_all(slow, request.substr(6));
    sent_all = true;
  });
  auto start = Clock::now();
  int served = 0;
  while (Clock::now() - start < 4s && served < 20)
    if (run("curl -s -m 2 -X POST " + url(world_.port(), "/inc")).find("\"value\"") != std::string::npos) ++served;
  EXPECT_EQ(served, 20) << "others are served while the slow client dribbles";
  EXPECT_FALSE(sent_all) << "the slow client was still sending while the others were served";
  trickle.join();
  std::string pending;
  Response r = read_response(slow, pending);
  ::close(slow);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(value_in(r.body), 21) << "the slow request counts once it is complete";
}

TEST_F(HttpServer, AThousandConnectionsOpenedAndDropped) {
  for (int round = 0; round < 5; ++round) {
    std::vector<int> fds;
    for (int i = 0; i < 200; ++i) {
      int fd = dial(world_.port());
      ASSERT_GE(fd, 0) << "connection " << round * 200 + i;
      if (i % 2) send_all(fd, "POST /inc HTTP/1.1\r\nHo");  // half of them mid-request
      fds.push_back(fd);
    }
    for (int fd : fds) ::close(fd);
  }
  EXPECT_EQ(run("curl -s -X POST " + url(world_.port(), "/inc")), "{\"value\":1}\n");
}

// A client sending POST /inc as fast as it can, one request at a time on a keep-alive connection,
// reconnecting when the connection breaks. `sent` counts requests written in full or in part; `acked`
// the 200 answers received.
struct IncrementClient {
  explicit IncrementClient(int port) : port(port) {}
  void run() {
    const std::string request = "POST /inc HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n";
    while (!stop) {
      int fd = dial(port, 10000);
      if (fd < 0) {
        std::this_thread::sleep_for(2ms);
        continue;
      }
      std::string pending;
      while (!stop) {
        ++sent;
        if (!send_all(fd, request)) break;
        Response r = read_response(fd, pending);
        if (r.status != 200) break;
        ++acked;
        last_value = value_in(r.body);
      }
      ::close(fd);
    }
  }
  int port;
  std::atomic<bool> stop{false};
  std::atomic<long> sent{0}, acked{0}, last_value{0};
};

struct KillRun {
  long sent, acked, value;
};

// Kills the world `kills` times, each at a random instant after the client got an answer from it.
KillRun kill_repeatedly(CounterWorld& world, int kills, std::uint64_t seed) {
  IncrementClient client(world.port());
  std::thread driver([&] { client.run(); });
  std::mt19937_64 random(seed);
  for (int k = 0; k < kills; ++k) {
    long before = client.acked;
    auto until = Clock::now() + 20s;
    while (client.acked == before && Clock::now() < until) std::this_thread::sleep_for(1ms);
    EXPECT_GT(client.acked, before) << "no answer after restart " << k;
    std::this_thread::sleep_for(std::chrono::microseconds(random() % 30000));
    world.kill();
    if (!world.start()) break;
  }
  client.stop = true;
  driver.join();
  int fd = dial(world.port());
  std::string pending;
  send_all(fd, "GET /value HTTP/1.1\r\nHost: t\r\n\r\n");
  long value = value_in(read_response(fd, pending).body);
  ::close(fd);
  return {client.sent, client.acked, value};
}

int kills_wanted() {
  const char* v = std::getenv("PHANTOM_HTTP_KILLS");
  return v ? std::max(1, std::atoi(v)) : 50;
}

TEST(HttpServerKill, NoAcknowledgedIncrementIsLost) {
  CounterWorld world(false);
  ASSERT_TRUE(world.start());
  std::uint64_t seed = std::random_device{}();
  KillRun r = kill_repeatedly(world, kills_wanted(), seed);
  std::printf("committed: %d kills, sent %ld, acknowledged %ld, value %ld (seed %llu)\n", kills_wanted(), r.sent,
              r.acked, r.value, static_cast<unsigned long long>(seed));
  EXPECT_GT(r.acked, kills_wanted());
  EXPECT_GE(r.value, r.acked) << "an acknowledged increment was lost (seed " << seed << ")";
  EXPECT_LE(r.value, r.sent) << "an increment nobody sent (seed " << seed << ")";
}

// Immediate answers leave before the snapshot that holds their increment: a kill then takes back
// increments the client was told about. This is what output commit prevents, and shows that the
// check above can fail.
TEST(HttpServerKill, ImmediateAnswersLoseAcknowledgedIncrements) {
  CounterWorld world(true);
  ASSERT_TRUE(world.start());
  KillRun r = kill_repeatedly(world, 10, 4711);
  std::printf("immediate: 10 kills, sent %ld, acknowledged %ld, value %ld\n", r.sent, r.acked, r.value);
  EXPECT_LT(r.value, r.acked) << "immediate mode lost nothing this time (possible, but very unlikely)";
}

}  // namespace
}  // namespace phantom
