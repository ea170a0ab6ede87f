// The MQTT client (plib/phantom/phantom.net.mqtt_client.ph, docs/network.md "MQTT"), end to end with
// the real `phantom` binary:
//   MqttCodec            packets encoded and decoded in Phantom, against bytes from the 3.1.1 spec;
//   MqttScriptedBroker   a broker played by this test over a real socket: CONNECT flags, SUBSCRIBE,
//                        QoS 1 both ways, a malformed packet that closes the connection, the reconnect
//                        with clean session 0 and DUP re-send, keep-alive PINGREQ and a silent broker,
//                        a refused CONNACK, nobody listening;
//   MqttSensor           examples/mqtt-sensor against mosquitto: commands (also one sent while the world
//                        is down), and at least 20 kill -9 (PHANTOM_MQTT_KILLS) at random instants timed
//                        from the subscriber's progress, after which every number up to the last one
//                        the world published before the last kill has arrived, and no number arrived
//                        with two contents; the same with immediate sends must show such a number.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/child_process.h"
#include "support/program_test.h"
#include "support/shell_command.h"

namespace phantom {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

int ms_since(Clock::time_point t) {
  return static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count());
}

// ---- sockets for the scripted broker ----

int listen_loopback(int& port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 8) != 0) {
    ::close(fd);
    return -1;
  }
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  return fd;
}

// A port nobody listens on now (bound, then released).
int free_port() {
  int port = 0;
  int fd = listen_loopback(port);
  ::close(fd);
  return port;
}

int accept_within(int listener, int ms) {
  pollfd p{listener, POLLIN, 0};
  if (::poll(&p, 1, ms) <= 0) return -1;
  return ::accept(listener, nullptr, nullptr);
}

// Reads exactly n bytes; false on timeout or end of stream (`closed` says which).
bool read_exact(int fd, std::string& out, std::size_t n, Clock::time_point deadline, bool& closed) {
  while (out.size() < n) {
    int left = -ms_since(deadline);
    if (left <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, left) <= 0) continue;
    char buffer[4096];
    ssize_t got = ::read(fd, buffer, std::min(sizeof buffer, n - out.size()));
    if (got <= 0) {
      closed = true;
      return false;
    }
    out.append(buffer, static_cast<std::size_t>(got));
  }
  return true;
}

struct Packet {
  int type = 0, flags = 0;
  std::string body;
  int u16(std::size_t at) const {
    return (static_cast<unsigned char>(body[at]) << 8) | static_cast<unsigned char>(body[at + 1]);
  }
};

// The next packet from the client; nullopt after `ms` or at the end of the stream (then `closed`).
std::optional<Packet> read_packet(int fd, int ms, bool& closed) {
  auto deadline = Clock::now() + std::chrono::milliseconds(ms);
  closed = false;
  std::string head;
  if (!read_exact(fd, head, 1, deadline, closed)) return std::nullopt;
  std::size_t length = 0, shift = 0;
  for (;;) {
    std::string b;
    if (!read_exact(fd, b, 1, deadline, closed)) return std::nullopt;
    length |= static_cast<std::size_t>(static_cast<unsigned char>(b[0]) & 127) << shift;
    shift += 7;
    if (!(static_cast<unsigned char>(b[0]) & 128)) break;
  }
  Packet p;
  p.type = static_cast<unsigned char>(head[0]) >> 4;
  p.flags = static_cast<unsigned char>(head[0]) & 15;
  if (!read_exact(fd, p.body, length, deadline, closed)) return std::nullopt;
  return p;
}

void write_bytes(int fd, const std::string& bytes) { ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size())); }

std::string bytes(std::initializer_list<int> list) {
  std::string s;
  for (int b : list) s.push_back(static_cast<char>(b));
  return s;
}

std::string mqtt_string(const std::string& s) { return bytes({static_cast<int>(s.size() >> 8), static_cast<int>(s.size() & 255)}) + s; }

// Waits for a packet of `type`, answering PINGREQs on the way.
std::optional<Packet> expect_packet(int fd, int type, int ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(ms);
  for (;;) {
    bool closed = false;
    auto p = read_packet(fd, std::max(1, -ms_since(deadline)), closed);
    if (!p) return std::nullopt;
    if (p->type == type) return p;
    if (p->type == 12 && type != 12) {
      write_bytes(fd, bytes({0xd0, 0}));
      continue;
    }
    ADD_FAILURE() << "expected a packet of type " << type << ", got type " << p->type;
    return std::nullopt;
  }
}

// Whether the client closes its end within ms (PINGREQs answered meanwhile).
bool closed_within(int fd, int ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(ms);
  while (ms_since(deadline) < 0) {
    bool closed = false;
    auto p = read_packet(fd, std::max(1, -ms_since(deadline)), closed);
    if (closed) return true;
    if (p && p->type == 12) write_bytes(fd, bytes({0xd0, 0}));
  }
  return false;
}

// ---- a world's output ----

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

// ---- fixtures ----

class MqttProgram : public test::ProgramTest {
 protected:
  std::vector<std::string> run_args(const std::string& boot, std::vector<std::string> env) {
    std::vector<std::string> args = {"phantom", "run", "--world", (dir_ / "w.img").string(), "--boot", boot,
                                     "--classpath", (dir_ / "classes").string(), "--arena-size", "64M"};
    for (const std::string& e : env) {
      args.push_back("--env");
      args.push_back(e);
    }
    return args;
  }
};

TEST_F(MqttProgram, MqttCodec) {
  ASSERT_NO_FATAL_FAILURE(compile_program("phantom_mqtt_", PHANTOM_BINARY, MQTT_TEST_DIR "/mqtt_codec.ph"));
  auto run = test::run_shell(std::string(PHANTOM_BINARY) + " run --world " + (dir_ / "w.img").string() +
                             " --arena-size 64M --boot .test.mqtt_codec_main --classpath " + (dir_ / "classes").string() + " 2>&1");
  ASSERT_EQ(run.status, 0) << run.out;
  std::set<std::string> got;
  for (const std::string& line : lines_of(run.out)) got.insert(line);
  // Bytes written out from the MQTT 3.1.1 specification (sections 2.2.3, 3.1-3.14).
  const char* expected[] = {
      "connect 100f00044d5154540402003c0003616263",  // clean session, keep-alive 60, id "abc"
      "connect_persistent 101400044d51545404000000000873656e736f722d31",
      "publish0 30070003612f626869",
      "publish1 32090003612f6201026869",      // QoS 1, packet id 258
      "publish1dup 3a070003612f62ffff",       // DUP, id 65535, empty payload
      "puback 40020007",
      "subscribe 8208000a0003782f2301",      // flags 0010, id 10, "x/#" QoS 1
      "pingreq c000",
      "disconnect e000",
      "length127 7f", "length128 8001", "length16383 ff7f", "length16384 808001", "length268435455 ffffff7f",
      "big 2008 2000",
      "decode connack: type 2 id 0 qos 0 dup 0 retain 0 present 1 code 0 topic (void) payload [(void)] length 4",
      "decode connack_refused: type 2 id 0 qos 0 dup 0 retain 0 present 0 code 5 topic (void) payload [(void)] length 4",
      "decode publish_in: type 3 id 0 qos 0 dup 0 retain 0 present 0 code 0 topic a/b payload [hi] length 9",
      "decode publish_in_qos1: type 3 id 258 qos 1 dup 0 retain 0 present 0 code 0 topic a/b payload [hi] length 11",
      "decode publish_in_empty_payload: type 3 id 0 qos 0 dup 0 retain 0 present 0 code 0 topic a/b payload [] length 7",
      "decode publish_retained_dup: type 3 id 5 qos 1 dup 1 retain 1 present 0 code 0 topic a/b payload [] length 9",
      "decode puback: type 4 id 258 qos 0 dup 0 retain 0 present 0 code 0 topic (void) payload [(void)] length 4",
      "decode suback: type 9 id 10 qos 0 dup 0 retain 0 present 0 code 1 topic (void) payload [(void)] length 5",
      "decode suback_failure: type 9 id 10 qos 0 dup 0 retain 0 present 0 code 128 topic (void) payload [(void)] length 5",
      "decode pingresp: type 13 id 0 qos 0 dup 0 retain 0 present 0 code 0 topic (void) payload [(void)] length 2",
      "decode incomplete: incomplete",
      "decode incomplete_length: incomplete",
      "decode bad_length: malformed MQTT packet: a remaining length of more than 4 bytes",
      "decode too_big: malformed MQTT packet: 268435455 bytes is over the limit of 1048576",
      "decode reserved_type: malformed MQTT packet: reserved packet type 15",
      "decode type_zero: malformed MQTT packet: reserved packet type 0",
      "decode connect_from_broker: malformed MQTT packet: a broker does not send packet type 1 to this client",
      "decode pubrec: malformed MQTT packet: a broker does not send packet type 5 to this client",
      "decode qos2: malformed MQTT packet: PUBLISH with QoS 2 (this client subscribes with QoS 0 or 1)",
      "decode qos3: malformed MQTT packet: PUBLISH with QoS 3 (this client subscribes with QoS 0 or 1)",
      "decode qos1_id0: malformed MQTT packet: PUBLISH with QoS 1 and packet id 0",
      "decode topic_past_end: malformed MQTT packet: PUBLISH shorter than its topic and packet id",
      "decode empty_topic: malformed MQTT packet: PUBLISH with an empty topic",
      "decode wildcard_topic: malformed MQTT packet: PUBLISH to a topic with a wildcard",
      "decode connack_long: malformed MQTT packet: CONNACK must have flags 0 and length 2",
      "decode connack_flags: malformed MQTT packet: CONNACK with reserved acknowledge flags set",
      "decode puback_flags: malformed MQTT packet: PUBACK and UNSUBACK must have flags 0 and length 2",
      "decode suback_code: malformed MQTT packet: SUBACK with return code 3",
      "decode pingresp_long: malformed MQTT packet: PINGRESP must have flags 0 and length 0",
      "bytes 1 255",
      "byte 256: int.toByteString: 256 is not a byte (0..255)",
      "codec done"};
  for (const char* line : expected) EXPECT_TRUE(got.count(line)) << "missing: " << line << "\nin:\n" << run.out;
}

// ---- the scripted broker ----

class MqttScriptedBroker : public MqttProgram {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(compile_program("phantom_mqtt_", PHANTOM_BINARY, MQTT_TEST_DIR "/mqtt_probe.ph"));
  }
  void TearDown() override {
    if (world_.pid > 0) {
      ::kill(world_.pid, SIGKILL);
      ::waitpid(world_.pid, nullptr, 0);
      ::close(world_.out);
    }
    MqttProgram::TearDown();
  }
  void start_probe(int port) {
    world_ = test::spawn_child(PHANTOM_BINARY, run_args(".test.mqtt_probe", {"MQTT_PORT=" + std::to_string(port)}), true);
  }
  // Waits for a line of the probe's output holding `want`, after the last one found.
  bool probe_says(const std::string& want, int ms = 10000) { return test::read_next(world_.out, out_, want, ms, seen_); }

  test::Child world_;
  std::string out_;
  std::size_t seen_ = 0;
};

TEST_F(MqttScriptedBroker, SessionMalformedPacketReconnectAndKeepAlive) {
  int port = 0;
  int listener = listen_loopback(port);
  ASSERT_GE(listener, 0);
  start_probe(port);

  // 1. CONNECT: level 4, clean session, keep-alive 1 s, client id "probe".
  int conn = accept_within(listener, 20000);
  ASSERT_GE(conn, 0) << "the client did not connect:\n" << out_;
  auto p = expect_packet(conn, 1, 10000);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->body, std::string("\0\4MQTT\4\2\0\1", 10) + mqtt_string("probe"));
  write_bytes(conn, bytes({0x20, 2, 0, 0}));
  ASSERT_TRUE(probe_says("connected\n")) << out_;

  // 2. SUBSCRIBE c/# with QoS 1, then the QoS 1 PUBLISH, which this broker does not acknowledge.
  p = expect_packet(conn, 8, 10000);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->flags, 2);
  int sub_id = p->u16(0);
  EXPECT_EQ(p->body.substr(2), mqtt_string("c/#") + std::string("\1", 1));
  write_bytes(conn, bytes({0x90, 3, sub_id >> 8, sub_id & 255, 1}));
  ASSERT_TRUE(probe_says("subscribed\n")) << out_;
  p = expect_packet(conn, 3, 10000);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->flags, 2) << "QoS 1, no DUP";
  EXPECT_EQ(p->body.substr(0, 5), mqtt_string("a/b"));
  int pub_id = p->u16(5);
  EXPECT_EQ(p->body.substr(7), "one");
  ASSERT_TRUE(probe_says("inflight 1\n")) << out_;

  // 3. A malformed packet (reserved type 15): the client closes the connection and says why.
  write_bytes(conn, bytes({0xf0, 0}));
  EXPECT_TRUE(closed_within(conn, 5000)) << "the client kept a connection that sent a malformed packet";
  ::close(conn);
  ASSERT_TRUE(probe_says("error: mqtt 127.0.0.1:" + std::to_string(port) + ": malformed MQTT packet: reserved packet type 15\n"))
      << out_;

  // 4. The reconnect: clean session 0; the session is present, so no SUBSCRIBE, and the unacknowledged
  //    PUBLISH again with DUP and the same packet id.
  conn = accept_within(listener, 10000);
  ASSERT_GE(conn, 0) << "the client did not reconnect:\n" << out_;
  p = expect_packet(conn, 1, 10000);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->body.substr(7, 1), std::string("\0", 1)) << "a reconnect must not clean the session";
  write_bytes(conn, bytes({0x20, 2, 1, 0}));
  p = expect_packet(conn, 3, 10000);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->flags, 2 | 8) << "QoS 1 with DUP";
  EXPECT_EQ(p->u16(5), pub_id);
  EXPECT_EQ(p->body.substr(7), "one");
  write_bytes(conn, bytes({0x40, 2, pub_id >> 8, pub_id & 255}));
  ASSERT_TRUE(probe_says("inflight 0\n")) << out_;

  // 5. A QoS 1 message to the client: the handler sees it, then the PUBACK comes.
  write_bytes(conn, bytes({0x32, 2 + 3 + 2 + 3}) + mqtt_string("c/x") + bytes({0, 77}) + "cmd");
  ASSERT_TRUE(probe_says("message c/x cmd\n")) << out_;
  p = expect_packet(conn, 4, 10000);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->u16(0), 77);

  // 6. Keep-alive: PINGREQ when the client is idle; no PINGRESP, and it drops the connection.
  p = expect_packet(conn, 12, 5000);
  ASSERT_TRUE(p) << "no PINGREQ within 5 s with a keep-alive of 1 s";
  auto pinged = Clock::now();
  bool closed = false;
  while (!closed && ms_since(pinged) < 10000) read_packet(conn, 100, closed);
  EXPECT_TRUE(closed) << "a broker that did not answer PINGREQ was kept";
  EXPECT_GE(ms_since(pinged), 500);
  ::close(conn);
  ASSERT_TRUE(probe_says("error: mqtt 127.0.0.1:" + std::to_string(port) + ": no PINGRESP within the keep-alive of 1 s\n")) << out_;

  // 7. A reconnect that finds no session on the broker makes the subscription again.
  conn = accept_within(listener, 10000);
  ASSERT_GE(conn, 0);
  ASSERT_TRUE(expect_packet(conn, 1, 10000));
  write_bytes(conn, bytes({0x20, 2, 0, 0}));
  p = expect_packet(conn, 8, 10000);
  ASSERT_TRUE(p) << "no SUBSCRIBE after a reconnect without a session";
  EXPECT_EQ(p->body.substr(2), mqtt_string("c/#") + std::string("\1", 1));
  ASSERT_TRUE(probe_says("connects 3\n")) << out_;
  EXPECT_EQ(out_.find("uncaught"), std::string::npos) << out_;
  ::close(conn);
  ::close(listener);
}

TEST_F(MqttScriptedBroker, RefusedConnackIsThrown) {
  int port = 0;
  int listener = listen_loopback(port);
  ASSERT_GE(listener, 0);
  start_probe(port);
  int conn = accept_within(listener, 20000);
  ASSERT_GE(conn, 0);
  ASSERT_TRUE(expect_packet(conn, 1, 10000));
  write_bytes(conn, bytes({0x20, 2, 0, 5}));
  ASSERT_TRUE(probe_says("connect failed: mqtt 127.0.0.1:" + std::to_string(port) +
                         ": the broker refused the connection: not authorized (5)\n"))
      << out_;
  ::close(conn);
  ::close(listener);
}

TEST_F(MqttScriptedBroker, NobodyListeningIsThrown) {
  int port = free_port();
  start_probe(port);
  ASSERT_TRUE(probe_says("connect failed: tcp 127.0.0.1:" + std::to_string(port) + ": connection refused\n")) << out_;
}

// ---- mosquitto ----

// A broker of our own on a free loopback port, with its configuration in the test's directory.
class Mosquitto {
 public:
  bool start(const fs::path& dir) {
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = free_port();
      std::ofstream(dir / "mosquitto.conf") << "listener " << port_ << " 127.0.0.1\nallow_anonymous true\npersistence false\n"
                                            << "max_queued_messages 100000\nlog_dest none\n";
      child_ = test::spawn_child(MOSQUITTO, {"mosquitto", "-c", (dir / "mosquitto.conf").string()}, true);
      for (int i = 0; i < 100; ++i) {
        if (reachable()) return true;
        if (::waitpid(child_.pid, nullptr, WNOHANG) == child_.pid) break;
        ::usleep(50000);
      }
      stop();
    }
    return false;
  }
  void stop() {
    if (child_.pid <= 0) return;
    ::kill(child_.pid, SIGTERM);
    ::waitpid(child_.pid, nullptr, 0);
    ::close(child_.out);
    child_.pid = -1;
  }
  ~Mosquitto() { stop(); }
  int port() const { return port_; }

 private:
  bool reachable() const {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port_));
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
  }
  int port_ = 0;
  test::Child child_;
};

// Reads the output of several children at once.
struct Pump {
  std::vector<std::pair<int, std::string*>> sources;
  // Reads for up to ms, or until done() is true (checked after every read).
  bool until(const std::function<bool()>& done, int ms) {
    auto deadline = Clock::now() + std::chrono::milliseconds(ms);
    for (;;) {
      if (done()) return true;
      int left = -ms_since(deadline);
      if (left <= 0) return false;
      std::vector<pollfd> fds;
      for (auto& s : sources) fds.push_back({s.first, POLLIN, 0});
      if (::poll(fds.data(), fds.size(), std::min(left, 100)) <= 0) continue;
      for (std::size_t i = 0; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP))) continue;
        char buffer[8192];
        ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
        if (n > 0) sources[i].second->append(buffer, static_cast<std::size_t>(n));
        else sources[i].first = -1;  // ended: poll skips it from now on
      }
    }
  }
};

// What a subscriber (mosquitto_sub -v) received on the readings topic: for each message number, the
// distinct contents that arrived with it, and how many arrived in all.
struct Readings {
  std::map<long, std::set<std::string>> contents;
  long messages = 0;
  std::size_t parsed = 0;  // how far the subscriber's output was read
  void parse(const std::string& text, const std::string& topic) {
    for (;;) {
      std::size_t end = text.find('\n', parsed);
      if (end == std::string::npos) return;
      std::string line = text.substr(parsed, end - parsed);
      parsed = end + 1;
      if (line.rfind(topic + " n=", 0) != 0) continue;
      std::string payload = line.substr(topic.size() + 1);
      contents[std::stol(payload.substr(2))].insert(payload);
      ++messages;
    }
  }
  long highest() const { return contents.empty() ? 0 : contents.rbegin()->first; }
  long missing_up_to(long n, std::string& first) const {
    long missing = 0;
    for (long i = 1; i <= n; ++i)
      if (!contents.count(i)) {
        if (!missing) first = std::to_string(i);
        ++missing;
      }
    return missing;
  }
  long taken_back(std::string& example) const {
    long count = 0;
    for (const auto& [n, set] : contents)
      if (set.size() > 1) {
        if (!count) example = *set.begin() + " | " + *std::next(set.begin());
        ++count;
      }
    return count;
  }
};

// The highest number a world printed as "mqtt-sensor: published n=N ...".
long highest_published(const std::string& out) {
  long best = 0;
  const std::string mark = "mqtt-sensor: published n=";
  for (std::size_t at = out.find(mark); at != std::string::npos; at = out.find(mark, at + 1))
    best = std::max(best, std::atol(out.c_str() + at + mark.size()));
  return best;
}

class MqttSensor : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("phantom_mqtt_" + std::to_string(::getpid()) + "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_TRUE(broker_.start(dir_)) << MOSQUITTO << " did not start (scripts/install-deps.sh installs mosquitto)";
    topic_ = "phantom/test" + std::to_string(::getpid());
    // stdbuf: mosquitto_sub writes through stdio, which holds back a pipe's lines without it.
    subscriber_ = test::spawn_child("/usr/bin/stdbuf", {"stdbuf", "-oL", MOSQUITTO_SUB, "-h", "127.0.0.1", "-p", std::to_string(broker_.port()),
                                                    "-t", topic_ + "/#", "-q", "1", "-v", "-d", "-i", "checker"},
                                    true);
    ASSERT_TRUE(test::read_until(subscriber_.out, sub_out_, "Subscribed (mid", 10000)) << sub_out_;
  }
  void TearDown() override {
    stop_world();
    if (subscriber_.pid > 0) {
      ::kill(subscriber_.pid, SIGTERM);
      ::waitpid(subscriber_.pid, nullptr, 0);
      ::close(subscriber_.out);
    }
    broker_.stop();
    if (!HasFailure()) fs::remove_all(dir_);
    else std::fprintf(stderr, "kept %s for inspection\n", dir_.c_str());
  }

  void start_world(bool immediate, int period_ms) {
    kill_world();
    // The boot class and the environment count only for a new world, which a world killed before its
    // first commit still is; a resumed world ignores them.
    std::vector<std::string> args = {"phantom", "run", "--world", (dir_ / "w.img").string(), "--boot", ".examples.mqtt_sensor",
                                     "--classpath", CLASSES_DIR, "--arena-size", "64M"};
    std::vector<std::string> env = {"MQTT_PORT=" + std::to_string(broker_.port()), "MQTT_TOPIC=" + topic_,
                                    "MQTT_PERIOD_MS=" + std::to_string(period_ms), "MQTT_CLIENT_ID=sensor",
                                    std::string("MQTT_IMMEDIATE=") + (immediate ? "1" : "0")};
    for (const std::string& e : env) {
      args.push_back("--env");
      args.push_back(e);
    }
    world_ = test::spawn_child(PHANTOM_BINARY, args, true);
    world_out_.clear();
    pump_.sources = {{world_.out, &world_out_}, {subscriber_.out, &sub_out_}};
  }
  void kill_world() {
    if (world_.pid <= 0) return;
    ::kill(world_.pid, SIGKILL);
    ::waitpid(world_.pid, nullptr, 0);
    world_out_ += test::drain(world_.out);
    world_.pid = -1;
    pump_.sources = {{subscriber_.out, &sub_out_}};
  }
  void stop_world() { kill_world(); }

  bool wait_for(const std::function<bool()>& done, int ms) {
    return pump_.until([&] { readings_.parse(sub_out_, topic_ + "/readings"); return done(); }, ms);
  }
  void publish_command(const std::string& text) {
    auto r = test::run_shell(std::string(MOSQUITTO_PUB) + " -h 127.0.0.1 -p " + std::to_string(broker_.port()) + " -q 1 -t " +
                             topic_ + "/cmd -m '" + text + "' 2>&1");
    ASSERT_EQ(r.status, 0) << r.out;
  }
  // Waits for a status line starting with `want`, after the last one found.
  bool status_says(const std::string& want, int ms = 15000) {
    std::string line = topic_ + "/status " + want;
    if (!wait_for([&] { return sub_out_.find(line, status_seen_) != std::string::npos; }, ms)) return false;
    status_seen_ = sub_out_.find(line, status_seen_) + 1;
    return true;
  }

  // Kills the world `kills` times, each at a random instant 0-250 ms after the subscriber saw a number it
  // had not seen before this run, and restarts it. Returns the highest number the world printed as
  // published before the last kill.
  long kill_cycles(int kills, bool immediate, std::mt19937& rng) {
    long printed = 0;
    std::uniform_int_distribution<int> delay(0, 250);
    for (int k = 0; k < kills; ++k) {
      long before = readings_.highest();
      start_world(immediate, 20);
      bool progressed = wait_for([&] { return readings_.highest() > before; }, 60000);
      EXPECT_TRUE(progressed) << "run " << k + 1 << ": no new message in 60 s; the world said:\n" << world_out_.substr(0, 4000);
      if (!progressed) {
        kill_world();
        return printed;
      }
      int wait = delay(rng);
      wait_for([] { return false; }, wait);
      kill_world();
      EXPECT_EQ(world_out_.find("uncaught"), std::string::npos) << world_out_.substr(0, 4000);
      EXPECT_EQ(world_out_.find("snapshot failed"), std::string::npos) << world_out_.substr(0, 4000);
      printed = std::max(printed, highest_published(world_out_));
    }
    return printed;
  }

  fs::path dir_;
  Mosquitto broker_;
  std::string topic_;
  test::Child subscriber_, world_;
  std::string sub_out_, world_out_;
  std::size_t status_seen_ = 0;
  Pump pump_;
  Readings readings_;
};

TEST_F(MqttSensor, EveryPublishedNumberArrivesAndNoneIsTakenBackAcrossKills) {
  std::mt19937 rng(std::random_device{}());
  int kills = static_cast<int>(test::env_count("PHANTOM_MQTT_KILLS", 25));
  long printed = kill_cycles(kills, false, rng);
  ASSERT_FALSE(HasFailure());
  // The last run: every number the world published before the last kill arrives (again, if the broker
  // had not acknowledged it; or afresh, if the world's state was older than the number).
  start_world(false, 20);
  std::string first;
  bool complete = wait_for([&] { return readings_.missing_up_to(printed, first) == 0; }, 60000);
  kill_world();
  long missing = readings_.missing_up_to(printed, first);
  EXPECT_TRUE(complete) << missing << " of 1.." << printed << " never arrived, the first " << first;
  std::string example;
  long taken = readings_.taken_back(example);
  EXPECT_EQ(taken, 0) << taken << " number(s) arrived with two contents (taken back), e.g. " << example;
  std::printf("%d kills; the world published 1..%ld before the last; %ld messages arrived for 1..%ld, none missing, "
              "%ld repeated with the same content\n",
              kills, printed, readings_.messages, readings_.highest(),
              readings_.messages - static_cast<long>(readings_.contents.size()));
}

// The same check must be able to fail: with immediate sends, a message leaves before the state that
// made it is committed, and a kill takes the number back; the world makes it again with other readings.
TEST_F(MqttSensor, ImmediateSendsAreTakenBackByAKill) {
  std::mt19937 rng(std::random_device{}());
  long taken = 0;
  std::string example;
  // A first run past the world's first periodic snapshot (1 s), so that what the kills take back is
  // state lost from a world that had committed, not a world that never had.
  start_world(true, 20);
  ASSERT_TRUE(wait_for([&] { return readings_.highest() > 0; }, 60000)) << world_out_;
  wait_for([] { return false; }, 1500);
  kill_world();
  for (int round = 0; round < 4 && taken == 0; ++round) {
    kill_cycles(3, true, rng);
    long before = readings_.highest();
    start_world(true, 20);
    wait_for([&] { return readings_.highest() > before + 5; }, 60000);
    kill_world();
    taken = readings_.taken_back(example);
  }
  EXPECT_GT(taken, 0) << "immediate sends survived every kill without a number taken back: the check above could not fail";
  std::printf("immediate sends: %ld number(s) taken back, e.g. %s\n", taken, example.c_str());
}

TEST_F(MqttSensor, CommandsAreObeyedAndQueuedWhileTheWorldIsDown) {
  start_world(false, 50);
  ASSERT_TRUE(wait_for([&] { return readings_.highest() >= 3; }, 60000)) << world_out_;
  publish_command("pause");
  ASSERT_TRUE(status_says("paused at n=")) << sub_out_ << world_out_;
  long paused_at = std::atol(sub_out_.c_str() + sub_out_.find(topic_ + "/status paused at n=") + topic_.size() + 20);
  wait_for([] { return false; }, 1000);
  EXPECT_EQ(readings_.highest(), paused_at) << "readings went on while paused";

  publish_command("period 100");
  ASSERT_TRUE(status_says("period 100")) << sub_out_;
  publish_command("resume");
  ASSERT_TRUE(status_says("resumed at n=" + std::to_string(paused_at))) << sub_out_;
  ASSERT_TRUE(wait_for([&] { return readings_.highest() > paused_at; }, 10000)) << sub_out_;
  EXPECT_EQ(readings_.contents.count(paused_at + 1), 1u) << "the numbering did not go on from " << paused_at;
  publish_command("bogus");
  ASSERT_TRUE(status_says("unknown command \"bogus\"")) << sub_out_;

  // A command sent while the world is down waits in the broker's session for the world's client
  // (clean session 0, QoS 1) and is obeyed after the restart.
  publish_command("status");
  ASSERT_TRUE(status_says("n=")) << sub_out_;
  kill_world();
  publish_command("period 300");
  start_world(false, 50);
  ASSERT_TRUE(status_says("period 300", 30000)) << sub_out_ << world_out_;
  publish_command("status");
  ASSERT_TRUE(status_says("n=")) << sub_out_;
  std::size_t line = sub_out_.find(topic_ + "/status n=", status_seen_ - 1);
  EXPECT_NE(sub_out_.find("period=300", line), std::string::npos) << sub_out_.substr(line);
  EXPECT_NE(sub_out_.find("paused=0", line), std::string::npos) << sub_out_.substr(line);
  kill_world();
}

}  // namespace
}  // namespace phantom
