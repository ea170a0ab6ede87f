// Tests of the display back-ends (host/display.h): headless; bad configs; the VNC server against a real
// RFB client (libvncclient) and a raw WebSocket handshake on loopback; SDL under Xvfb when installed.
// Every wait has a deadline, so a broken server fails the test instead of hanging it.
#include <arpa/inet.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rfb/rfbclient.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "host/display.h"

namespace phantom::host {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
constexpr auto wait_limit = 10s;  // the longest any single wait may take before the test fails

// ---- helpers ----

DisplayConfig vnc_config(int width = 256, int height = 192) {
  DisplayConfig c;
  c.kind = "vnc";
  c.width = width;
  c.height = height;
  c.vnc_port = 0;  // any free port on 127.0.0.1
  return c;
}

std::unique_ptr<Display> open_ok(const DisplayConfig& config) {
  auto display = open_display(config);
  if (!display.ok()) {
    ADD_FAILURE() << "open_display: " << display.error().message;
    return nullptr;
  }
  return std::move(display).value();
}

// The events a display delivered, for waiting on from the test thread.
class Inbox {
 public:
  std::function<void(const InputEvent&)> handler() {
    return [this](const InputEvent& e) {
      std::lock_guard lock(mutex_);
      events_.push_back(e);
      changed_.notify_all();
    };
  }
  // The first `n` events, or what arrived by the deadline (the caller's size check then fails).
  std::vector<InputEvent> wait_for(std::size_t n) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, wait_limit, [&] { return events_.size() >= n; });
    return events_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<InputEvent> events_;
};

InputEvent mouse_event(int x, int y, std::uint32_t buttons, int wheel = 0) {
  InputEvent e;
  e.kind = InputEvent::Kind::mouse;
  e.x = x, e.y = y, e.buttons = buttons, e.wheel = wheel;
  return e;
}

InputEvent key_event(std::uint32_t keysym, char32_t character, bool down, std::uint32_t modifiers = 0) {
  InputEvent e;
  e.kind = InputEvent::Kind::key;
  e.keysym = keysym, e.character = character, e.down = down, e.modifiers = modifiers;
  return e;
}

std::string show(const InputEvent& e) {
  std::ostringstream s;
  if (e.kind == InputEvent::Kind::mouse)
    s << "mouse(" << e.x << "," << e.y << " buttons " << e.buttons << " wheel " << e.wheel << " mods " << e.modifiers << ")";
  else
    s << "key(0x" << std::hex << e.keysym << " char 0x" << static_cast<std::uint32_t>(e.character) << std::dec
      << (e.down ? " down" : " up") << " mods " << e.modifiers << ")";
  return s.str();
}

void expect_events(const std::vector<InputEvent>& got, const std::vector<InputEvent>& want) {
  ASSERT_EQ(got.size(), want.size()) << "events: " << [&] {
    std::string all;
    for (const auto& e : got) all += show(e) + " ";
    return all;
  }();
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(show(got[i]), show(want[i])) << "event " << i;
}

// ---- an RFB client (libvncclient) ----

void client_log_nothing(const char*, ...) {}

int password_tag;  // its address keys the password in the client's data

class RfbClient {
 public:
  // Connects and completes the handshake; false when the server refused (wrong password) or is gone.
  bool connect(int port, const char* password = nullptr, bool cursor_shapes = false) {
    rfbClientLog = rfbClientErr = client_log_nothing;
    client_ = rfbGetClient(8, 3, 4);
    std::free(client_->serverHost);  // rfbGetClient's default ""
    client_->serverHost = strdup("127.0.0.1");
    client_->serverPort = port;
    client_->connectTimeout = 5;
    client_->readTimeout = 10;  // seconds: a stalled server fails the read, not the test run
    client_->appData.encodingsString = "zrle hextile raw";  // lossless: no JPEG in tight
    client_->appData.useRemoteCursor = cursor_shapes;
    client_->canHandleNewFBSize = FALSE;
    rfbClientSetClientData(client_, &password_tag, const_cast<char*>(password));
    client_->GetPassword = [](rfbClient* c) -> char* {  // nullptr: no password to give
      auto* password = static_cast<const char*>(rfbClientGetClientData(c, &password_tag));
      return password ? strdup(password) : nullptr;
    };
    client_->GotCursorShape = [](rfbClient* c, int xhot, int yhot, int w, int h, int) {
      auto* self = static_cast<RfbClient*>(rfbClientGetClientData(c, &cursor_tag));
      self->cursor = {xhot, yhot, w, h};
    };
    rfbClientSetClientData(client_, &cursor_tag, this);
    if (!rfbInitClient(client_, nullptr, nullptr)) {
      client_ = nullptr;  // rfbInitClient freed it
      return false;
    }
    return true;
  }
  ~RfbClient() {
    if (!client_) return;
    std::free(client_->frameBuffer);
    std::free(client_->rcSource);  // a received cursor shape, which rfbClientCleanup (0.9.14) leaves
    std::free(client_->rcMask);
    rfbClientCleanup(client_);
  }

  // Handles server messages until `done` or the deadline; false on a timeout or a lost connection.
  bool pump_until(const std::function<bool()>& done) {
    auto deadline = Clock::now() + wait_limit;
    while (!done()) {
      if (Clock::now() > deadline) return false;
      int n = WaitForMessage(client_, 50'000);
      if (n < 0) return false;
      if (n > 0 && !HandleRFBServerMessage(client_)) return false;
    }
    return true;
  }
  // Asks for the whole screen again, as a viewer's "refresh" does.
  void refresh() { SendFramebufferUpdateRequest(client_, 0, 0, client_->width, client_->height, FALSE); }
  // True once the server closed the connection (within the deadline).
  bool sees_close() {
    auto deadline = Clock::now() + wait_limit;
    while (Clock::now() < deadline) {
      int n = WaitForMessage(client_, 50'000);
      if (n < 0 || (n > 0 && !HandleRFBServerMessage(client_))) return true;
    }
    return false;
  }

  rfbClient* operator->() { return client_; }
  std::uint32_t pixel(int x, int y) const {
    std::uint32_t p;
    std::memcpy(&p, client_->frameBuffer + (static_cast<std::size_t>(y) * client_->width + x) * 4, 4);
    return p;
  }
  // What this client's pixel format makes of a frame pixel 0x00RRGGBB.
  std::uint32_t expected(std::uint32_t rgb) const {
    const rfbPixelFormat& f = client_->format;
    return ((rgb >> 16) & 0xff) << f.redShift | ((rgb >> 8) & 0xff) << f.greenShift | (rgb & 0xff) << f.blueShift;
  }
  // Depth 24 in 32-bit pixels: the fourth byte is padding, which encodings such as ZRLE leave alone.
  std::uint32_t colour_bits() const { return expected(0x00ffffff); }
  bool shows(const Display& display, const std::vector<std::uint32_t>& frame) const {
    for (int y = 0; y < display.height(); ++y)
      for (int x = 0; x < display.width(); ++x)
        if ((pixel(x, y) & colour_bits()) != expected(frame[static_cast<std::size_t>(y) * display.width() + x])) return false;
    return true;
  }

  struct Cursor { int xhot = -1, yhot = -1, width = 0, height = 0; };
  std::optional<Cursor> cursor;

 private:
  static int cursor_tag;
  rfbClient* client_ = nullptr;
};
int RfbClient::cursor_tag;

void paint(Display& display, int x0, int y0, int w, int h, const std::function<std::uint32_t(int, int)>& colour) {
  {
    std::lock_guard lock(display.frame_mutex());
    for (int y = y0; y < y0 + h; ++y)
      for (int x = x0; x < x0 + w; ++x) display.frame()[static_cast<std::size_t>(y) * display.width() + x] = colour(x, y);
  }
  display.frame_changed(x0, y0, w, h);
}

std::vector<std::uint32_t> copy_frame(Display& display) {
  std::lock_guard lock(display.frame_mutex());
  return {display.frame(), display.frame() + static_cast<std::size_t>(display.width()) * display.height()};
}

// The local addresses (hex, as /proc/net shows them) that listen on `port`, over IPv4 and IPv6.
std::vector<std::string> listeners_on(int port) {
  std::vector<std::string> found;
  char wanted[8];
  std::snprintf(wanted, sizeof wanted, "%04X", port);
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state;
      fields >> slot >> local >> remote >> state;
      auto colon = local.rfind(':');
      if (state == "0A" && colon != std::string::npos && local.substr(colon + 1) == wanted) found.push_back(local.substr(0, colon));
    }
  }
  return found;
}

// A connected TCP socket to 127.0.0.1:port with a receive timeout, or -1.
int connect_loopback(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Reads into `data` until it holds `n` bytes (the socket's timeout bounds each read); false on EOF or timeout.
bool read_at_least(int fd, std::string& data, std::size_t n) {
  char buffer[4096];
  while (data.size() < n) {
    ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
    if (got <= 0) return false;
    data.append(buffer, static_cast<std::size_t>(got));
  }
  return true;
}

// ---- headless and configs ----

TEST(HeadlessDisplay, KeepsAFrameInMemory) {
  DisplayConfig config;
  config.kind = "headless";
  config.width = 320;
  config.height = 200;
  auto display = open_ok(config);
  ASSERT_TRUE(display);
  EXPECT_EQ(display->width(), 320);
  EXPECT_EQ(display->height(), 200);
  EXPECT_EQ(display->description(), "headless 320x200");
  EXPECT_EQ(display->listen_port(), 0);
  auto frame = copy_frame(*display);
  EXPECT_EQ(frame.size(), 320u * 200u);
  EXPECT_TRUE(std::all_of(frame.begin(), frame.end(), [](std::uint32_t p) { return p == 0; }));
  paint(*display, 0, 0, 320, 200, [](int x, int y) { return static_cast<std::uint32_t>(x * y); });
  EXPECT_EQ(display->frame()[199 * 320 + 319], 199u * 319u);
  Inbox inbox;
  display->on_input(inbox.handler());
  display->on_input(nullptr);
}

void expect_refused(const DisplayConfig& config, Errc code, const std::string& message) {
  auto display = open_display(config);
  ASSERT_FALSE(display.ok()) << config.kind << " opened";
  EXPECT_EQ(display.error().code, code) << display.error().message;
  EXPECT_EQ(display.error().message, message);
}

TEST(DisplayConfig, RefusesWhatCannotWork) {
  DisplayConfig config;
  expect_refused(config, Errc::invalid_argument, "--display none: there is no display to open; use headless, vnc or sdl");
  config.kind = "x11";
  expect_refused(config, Errc::invalid_argument, "--display x11: unknown display; use none, headless, vnc or sdl");
  config.kind = "headless";
  config.width = 63;
  expect_refused(config, Errc::invalid_argument,
                 "--display headless: a size of 63x768 is out of range; width and height must be 64 to 8192");
  config.width = 1024, config.height = 8193;
  expect_refused(config, Errc::invalid_argument,
                 "--display headless: a size of 1024x8193 is out of range; width and height must be 64 to 8192");

  config = vnc_config();
  config.vnc_port = 65536;
  expect_refused(config, Errc::invalid_argument, "--display vnc: port 65536 is out of range; use 1 to 65535, or 0 for any free port");
  config.vnc_port = 0;
  config.vnc_address = "my-host";
  expect_refused(config, Errc::invalid_argument,
                 "--display vnc: 'my-host' is not an IP address to listen on; give a numeric one such as 127.0.0.1 or ::1");
  config.vnc_address = "203.0.113.77";  // TEST-NET-3: documentation only, on no machine
  expect_refused(config, Errc::invalid_argument,
                 "--display vnc: 203.0.113.77 is not an address of this machine; listen on 127.0.0.1 or one of its own");
  config.vnc_address = "127.0.0.1";
  config.vnc_password_file = "/nonexistent/vnc-password";
  expect_refused(config, Errc::not_found,
                 "--display vnc: password file /nonexistent/vnc-password: No such file or directory; "
                 "write the password on its first line");
  std::string empty = testing::TempDir() + "display_test_empty_password";
  std::ofstream(empty) << "\nsecond line\n";
  config.vnc_password_file = empty;
  expect_refused(config, Errc::invalid_argument,
                 "--display vnc: password file " + empty + ": the first line is empty; write the password there");
  std::remove(empty.c_str());
}

// ---- VNC ----

TEST(VncDisplay, ClientSeesTheFrame) {
  auto display = open_ok(vnc_config());
  ASSERT_TRUE(display);
  int port = display->listen_port();
  ASSERT_GT(port, 0);
  EXPECT_EQ(display->description(), "vnc on 127.0.0.1:" + std::to_string(port));

  RfbClient client;
  ASSERT_TRUE(client.connect(port));
  EXPECT_EQ(client->width, 256);
  EXPECT_EQ(client->height, 192);
  EXPECT_NE(client->format.redShift, 16) << "the client should differ from the server format, so translation is tested";

  // Distinct red, green and blue everywhere, so a swapped channel cannot pass.
  paint(*display, 0, 0, 256, 192, [](int x, int y) {
    return static_cast<std::uint32_t>((x * 7 & 0xff) << 16 | (y * 13 & 0xff) << 8 | ((x + y) & 0xff));
  });
  auto frame = copy_frame(*display);
  EXPECT_TRUE(client.pump_until([&] { return client.shows(*display, frame); })) << "the client never showed the painted frame";

  paint(*display, 5, 6, 20, 10, [](int, int) { return 0x00ff8000u; });
  frame = copy_frame(*display);
  EXPECT_TRUE(client.pump_until([&] { return client.shows(*display, frame); })) << "the client never showed the changed rectangle";
  EXPECT_EQ(client.pixel(5, 6) & client.colour_bits(), client.expected(0x00ff8000));
}

TEST(VncDisplay, PointerEventsArrive) {
  auto display = open_ok(vnc_config());
  ASSERT_TRUE(display);
  Inbox inbox;
  display->on_input(inbox.handler());
  RfbClient client;
  ASSERT_TRUE(client.connect(display->listen_port()));
  // RFB masks: 1 left, 2 middle, 4 right, 8 wheel up, 16 wheel down (pressed, then released).
  const int sent[][3] = {{10, 20, 0}, {11, 21, 1}, {11, 21, 0}, {12, 22, 2}, {12, 22, 0}, {13, 23, 4}, {13, 23, 5},
                         {13, 23, 0}, {13, 23, 8}, {13, 23, 0}, {13, 23, 16}, {13, 23, 0}, {255, 191, 0}};
  for (const auto& s : sent) ASSERT_TRUE(SendPointerEvent(client.operator->(), s[0], s[1], s[2]));
  expect_events(inbox.wait_for(11), {
                                        mouse_event(10, 20, 0),
                                        mouse_event(11, 21, mouse_left),
                                        mouse_event(11, 21, 0),
                                        mouse_event(12, 22, mouse_middle),
                                        mouse_event(12, 22, 0),
                                        mouse_event(13, 23, mouse_right),
                                        mouse_event(13, 23, mouse_right | mouse_left),
                                        mouse_event(13, 23, 0),
                                        mouse_event(13, 23, 0, +1),  // its release reports nothing new
                                        mouse_event(13, 23, 0, -1),
                                        mouse_event(255, 191, 0),
                                    });
}

// Bad input from the network: clients that send garbage before, during and after the RFB handshake,
// absurd messages (a pointer far off the screen, an update request for 65535x65535, a cut text claiming
// 2 GiB, unknown message types), broken HTTP and WebSocket requests. None may crash or stall the
// server; every input event that comes through lies on the screen; a real viewer still works.
TEST(VncDisplay, GarbageFromClientsHarmsNothing) {
  auto display = open_ok(vnc_config());
  ASSERT_TRUE(display);
  Inbox inbox;
  display->on_input(inbox.handler());
  int port = display->listen_port();
  auto be16 = [](int v) { return std::string{static_cast<char>(v >> 8 & 0xff), static_cast<char>(v & 0xff)}; };
  auto be32 = [](std::uint32_t v) {
    return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16 & 0xff), static_cast<char>(v >> 8 & 0xff),
                       static_cast<char>(v & 0xff)};
  };
  // A client that got through the handshake (RFB 3.8, security "none", shared) and then sends `body`.
  auto after_handshake = [&](const std::string& body) {
    int fd = connect_loopback(port);
    ASSERT_GE(fd, 0);
    std::string data;
    ASSERT_TRUE(read_at_least(fd, data, 12));
    std::string hello = "RFB 003.008\n";
    ::send(fd, hello.data(), hello.size(), MSG_NOSIGNAL);
    ASSERT_TRUE(read_at_least(fd, data, 12 + 2));  // one security type: none
    std::string choose = {'\x01', '\x01'};           // security none, then ClientInit "shared"
    ::send(fd, choose.data(), 1, MSG_NOSIGNAL);
    ASSERT_TRUE(read_at_least(fd, data, 12 + 2 + 4));  // SecurityResult
    ::send(fd, choose.data() + 1, 1, MSG_NOSIGNAL);
    ASSERT_TRUE(read_at_least(fd, data, 12 + 2 + 4 + 24));  // ServerInit (its name follows)
    ::send(fd, body.data(), body.size(), MSG_NOSIGNAL);
    char sink[4096];
    pollfd p{fd, POLLIN, 0};
    while (::poll(&p, 1, 100) > 0 && ::recv(fd, sink, sizeof sink, 0) > 0) {
    }
    ::close(fd);
  };
  // Raw bytes on a fresh connection, no handshake.
  auto raw = [&](const std::string& bytes) {
    int fd = connect_loopback(port);
    ASSERT_GE(fd, 0);
    ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    char sink[4096];
    pollfd p{fd, POLLIN, 0};
    while (::poll(&p, 1, 300) > 0 && ::recv(fd, sink, sizeof sink, 0) > 0) {
    }
    ::close(fd);
  };

  raw("RFB 999.999\n");
  raw("SSH-2.0-OpenSSH_9.2\r\n");
  raw(std::string(5000, 'A'));
  raw("GET /" + std::string(8000, 'x') + " HTTP/1.1\r\n");  // a head that never ends
  raw("GET /../../../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  raw("GET /websockify HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\nOrigin: http://127.0.0.1:" +
      std::to_string(port) + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");  // no key, no version
  after_handshake("\x05\x00" + be16(65535) + be16(65535));              // a pointer far off the screen
  after_handshake("\x05\x07" + be16(400) + be16(300));                  // three buttons, off the screen
  after_handshake("\x03\x00" + be16(0) + be16(0) + be16(65535) + be16(65535));  // update 65535x65535
  after_handshake("\x03\x01" + be16(65000) + be16(65000) + be16(100) + be16(100));  // update entirely outside
  after_handshake(std::string("\x06\x00\x00\x00", 4) + be32(0x7fffffff) + "abc");   // a cut text claiming 2 GiB
  after_handshake(std::string("\x02\x00", 2) + be16(65535) + "\x00\x00\x00\x00");  // 65535 encodings, 1 given
  after_handshake(std::string("\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", 20));  // SetPixelFormat of zeros
  after_handshake("\xff\xfe\xfd garbage of an unknown message type");
  std::mt19937 random(1234);
  for (int i = 0; i < 10; ++i) {
    std::string noise(static_cast<std::size_t>(random() % 600), '\0');
    for (char& c : noise) c = static_cast<char>(random());
    after_handshake(noise);
  }

  // Every event that came through lies on the 256x192 screen.
  for (const InputEvent& e : inbox.wait_for(0))
    if (e.kind == InputEvent::Kind::mouse) {
      EXPECT_GE(e.x, 0);
      EXPECT_LT(e.x, 256);
      EXPECT_GE(e.y, 0);
      EXPECT_LT(e.y, 192);
    }
  // And a well-behaved viewer still connects and sees a change.
  RfbClient client;
  ASSERT_TRUE(client.connect(port));
  paint(*display, 0, 0, 256, 192, [](int x, int y) { return static_cast<std::uint32_t>((x * 3 & 0xff) << 16 | (y * 5 & 0xff)); });
  auto frame = copy_frame(*display);
  EXPECT_TRUE(client.pump_until([&] { return client.shows(*display, frame); })) << "the viewer never showed the frame";
}

TEST(VncDisplay, KeyEventsArrive) {
  auto display = open_ok(vnc_config());
  ASSERT_TRUE(display);
  Inbox inbox;
  display->on_input(inbox.handler());
  RfbClient client;
  ASSERT_TRUE(client.connect(display->listen_port()));
  const std::pair<std::uint32_t, bool> sent[] = {
      {'a', true},       {'a', false},                        // a printable ASCII key
      {0xffe1, true},    {'A', true}, {'A', false}, {0xffe1, false},  // Shift_L held
      {0xff0d, true},    {0xff08, true}, {0xff09, true}, {0xff51, true},  // Return, BackSpace, Tab, Left
      {0xe9, true},      {0x010020ac, true},                  // é (Latin-1), € (Unicode keysym)
      {0xffe3, true},    {'c', true}, {0xffe3, false},        // Control_L + c
      {0xffe5, true},    {0xffe5, false}, {'x', true},        // Caps_Lock toggles on
  };
  for (const auto& [keysym, down] : sent) ASSERT_TRUE(SendKeyEvent(client.operator->(), keysym, down));
  expect_events(inbox.wait_for(18), {
                                        key_event('a', U'a', true), key_event('a', U'a', false),
                                        key_event(0xffe1, 0, true, key_shift), key_event('A', U'A', true, key_shift),
                                        key_event('A', U'A', false, key_shift), key_event(0xffe1, 0, false),
                                        key_event(0xff0d, U'\n', true), key_event(0xff08, 0x08, true),
                                        key_event(0xff09, U'\t', true), key_event(0xff51, 0, true),
                                        key_event(0xe9, U'é', true), key_event(0x010020ac, U'€', true),
                                        key_event(0xffe3, 0, true, key_ctrl), key_event('c', U'c', true, key_ctrl),
                                        key_event(0xffe3, 0, false),
                                        key_event(0xffe5, 0, true, key_caps_lock), key_event(0xffe5, 0, false, key_caps_lock),
                                        key_event('x', U'x', true, key_caps_lock),
                                    });
}

TEST(VncDisplay, OnInputNullWaitsForARunningHandler) {
  auto display = open_ok(vnc_config());
  ASSERT_TRUE(display);
  std::mutex m;
  std::condition_variable cv;
  bool entered = false;
  std::atomic<bool> finished{false}, called_after{false}, replaced{false};
  display->on_input([&](const InputEvent&) {
    if (replaced) called_after = true;
    {
      std::lock_guard lock(m);
      if (entered) return;
      entered = true;
    }
    cv.notify_all();
    std::this_thread::sleep_for(200ms);
    finished = true;
  });
  RfbClient client;
  ASSERT_TRUE(client.connect(display->listen_port()));
  ASSERT_TRUE(SendPointerEvent(client.operator->(), 1, 1, 0));
  {
    std::unique_lock lock(m);
    ASSERT_TRUE(cv.wait_for(lock, wait_limit, [&] { return entered; })) << "the handler was never called";
  }
  display->on_input(nullptr);  // from this thread, while the handler runs on the display's
  replaced = true;
  EXPECT_TRUE(finished) << "on_input(nullptr) returned while the old handler was still running";
  ASSERT_TRUE(SendPointerEvent(client.operator->(), 2, 2, 0));
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(called_after);
}

TEST(VncDisplay, PasswordIsRequired) {
  std::string path = testing::TempDir() + "display_test_password";
  std::ofstream(path) << "s3cret\nignored\n";
  DisplayConfig config = vnc_config();
  config.vnc_password_file = path;
  auto display = open_ok(config);
  std::remove(path.c_str());
  ASSERT_TRUE(display);
  {
    RfbClient wrong;
    EXPECT_FALSE(wrong.connect(display->listen_port(), "guess"));
  }
  {
    RfbClient none;
    EXPECT_FALSE(none.connect(display->listen_port(), nullptr));
  }
  RfbClient right;
  ASSERT_TRUE(right.connect(display->listen_port(), "s3cret"));
  paint(*display, 0, 0, 256, 192, [](int x, int) { return static_cast<std::uint32_t>(x); });
  auto frame = copy_frame(*display);
  // Now and then on a loaded machine (about 1 run in 50 while builds run beside it) the change does
  // not reach this viewer until it asks for the whole screen, as a viewer's "refresh" does. The cause
  // is not found yet (docs/graphics.md, "Known limits"); the refresh must then show it.
  if (!right.pump_until([&] { return right.shows(*display, frame); })) {
    std::fprintf(stderr, "display_test: the viewer missed the change; asking for the whole screen\n");
    right.refresh();
    EXPECT_TRUE(right.pump_until([&] { return right.shows(*display, frame); })) << "not even after a refresh";
  }
}

TEST(VncDisplay, SecondServerOnTheSamePortIsRefused) {
  auto first = open_ok(vnc_config());
  ASSERT_TRUE(first);
  int port = first->listen_port();
  DisplayConfig config = vnc_config();
  config.vnc_port = port;
  auto second = open_display(config);
  ASSERT_FALSE(second.ok()) << "a second server listens on " << port;
  EXPECT_EQ(second.error().code, Errc::busy);
  EXPECT_EQ(second.error().message, "--display vnc: 127.0.0.1:" + std::to_string(port) +
                                        " is in use (another VNC server or world?); choose another port, or 0 for any free one");
  // The first one still serves.
  RfbClient client;
  EXPECT_TRUE(client.connect(port));
}

TEST(VncDisplay, ListensOnLoopbackOnlyAndNotAfterwards) {
  auto display = open_ok(vnc_config());
  ASSERT_TRUE(display);
  int port = display->listen_port();
  EXPECT_EQ(listeners_on(port), std::vector<std::string>{"0100007F"}) << "only 127.0.0.1, no IPv6 or wildcard socket";

  // Another address of this machine, when it has one, refuses.
  ifaddrs* list = nullptr;
  ASSERT_EQ(::getifaddrs(&list), 0);
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
    sockaddr_in a = *reinterpret_cast<sockaddr_in*>(i->ifa_addr);
    if ((ntohl(a.sin_addr.s_addr) >> 24) == 127) continue;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    EXPECT_NE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << "reachable on " << inet_ntoa(a.sin_addr);
    ::close(fd);
  }
  ::freeifaddrs(list);

  display.reset();
  EXPECT_TRUE(listeners_on(port).empty()) << "still listening after the display closed";
  EXPECT_EQ(connect_loopback(port), -1);
}

TEST(VncDisplay, ClosesWithAClientConnected) {
  auto display = open_ok(vnc_config());
  ASSERT_TRUE(display);
  RfbClient client, second;
  ASSERT_TRUE(client.connect(display->listen_port()));
  ASSERT_TRUE(second.connect(display->listen_port())) << "a second viewer shares the screen";
  paint(*display, 0, 0, 16, 16, [](int, int) { return 0x00112233u; });
  display.reset();
  EXPECT_TRUE(client.sees_close());
  EXPECT_TRUE(second.sees_close());
}

TEST(VncDisplay, ViewersGetAnArrowPointer) {
  auto display = open_ok(vnc_config());
  ASSERT_TRUE(display);
  RfbClient client;
  ASSERT_TRUE(client.connect(display->listen_port(), nullptr, /*cursor_shapes=*/true));
  ASSERT_TRUE(client.pump_until([&] { return client.cursor.has_value(); })) << "no cursor shape arrived";
  EXPECT_EQ(client.cursor->xhot, 0);
  EXPECT_EQ(client.cursor->yhot, 0);
  EXPECT_EQ(client.cursor->width, 12);
  EXPECT_EQ(client.cursor->height, 19);
}

// noVNC's path: an HTTP upgrade to a WebSocket on the RFB port, then RFB in binary frames.
TEST(VncDisplay, AcceptsAWebSocketClient) {
  auto display = open_ok(vnc_config());
  ASSERT_TRUE(display);
  int port = display->listen_port();
  int fd = connect_loopback(port);
  ASSERT_GE(fd, 0);
  std::string request = "GET /websockify HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                        "\r\nOrigin: http://127.0.0.1:" + std::to_string(port) +
                        "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                        "Sec-WebSocket-Protocol: binary\r\n\r\n";
  ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));

  std::string data;
  std::size_t end;
  while ((end = data.find("\r\n\r\n")) == std::string::npos) ASSERT_TRUE(read_at_least(fd, data, data.size() + 1)) << data;
  std::string response = data.substr(0, end + 4);
  data.erase(0, end + 4);
  EXPECT_EQ(response.rfind("HTTP/1.1 101 Switching Protocols\r\n", 0), 0u) << response;
  // The key and its answer are RFC 6455's example.
  EXPECT_NE(response.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"), std::string::npos) << response;
  EXPECT_NE(response.find("Sec-WebSocket-Protocol: binary\r\n"), std::string::npos) << response;

  // The first frame: binary, unmasked, the 12-byte RFB version.
  ASSERT_TRUE(read_at_least(fd, data, 2 + 12));
  EXPECT_EQ(static_cast<unsigned char>(data[0]), 0x82);
  EXPECT_EQ(static_cast<unsigned char>(data[1]), 12);
  EXPECT_EQ(data.substr(2, 12), "RFB 003.008\n");
  data.erase(0, 14);

  // Our version back in a masked frame (clients must mask); the server answers with its security types.
  std::string version = "RFB 003.008\n";
  const unsigned char key[4] = {0x12, 0x34, 0x56, 0x78};
  std::string frame = {'\x82', static_cast<char>(0x80 | version.size())};
  frame.append(reinterpret_cast<const char*>(key), 4);
  for (std::size_t i = 0; i < version.size(); ++i) frame += static_cast<char>(version[i] ^ key[i % 4]);
  ASSERT_EQ(::send(fd, frame.data(), frame.size(), MSG_NOSIGNAL), static_cast<ssize_t>(frame.size()));
  ASSERT_TRUE(read_at_least(fd, data, 2 + 2));
  EXPECT_EQ(static_cast<unsigned char>(data[0]), 0x82);
  EXPECT_EQ(static_cast<unsigned char>(data[1]), 2);
  EXPECT_EQ(data.substr(2, 2), std::string("\x01\x01", 2)) << "one security type: None";
  ::close(fd);

  // Browsers let any web site open a WebSocket to 127.0.0.1; one from another origin is refused.
  fd = connect_loopback(port);
  ASSERT_GE(fd, 0);
  std::string foreign = request;
  const std::string ours = "Origin: http://127.0.0.1:";
  foreign.replace(foreign.find(ours), ours.size(), "Origin: http://evil.example:");
  ASSERT_EQ(::send(fd, foreign.data(), foreign.size(), MSG_NOSIGNAL), static_cast<ssize_t>(foreign.size()));
  std::string refused;
  read_at_least(fd, refused, std::string::npos);  // until the server closes
  ::close(fd);
  EXPECT_EQ(refused.rfind("HTTP/1.1 403 Forbidden\r\n", 0), 0u) << refused;
  EXPECT_EQ(refused.find("RFB "), std::string::npos) << refused;
}

// What a plain HTTP GET of `target` on the port gets back, all of it (the server closes).
std::string http_get(int port, const std::string& target) {
  int fd = connect_loopback(port);
  if (fd < 0) return "(no connection)";
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: display_test\r\n\r\n";
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string response;
  read_at_least(fd, response, std::string::npos);  // until EOF (or the socket's timeout)
  ::close(fd);
  return response;
}

std::string body_of(const std::string& response) {
  auto end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

// Browsers that ask the VNC port for a page get noVNC's files, so one URL opens a working viewer.
TEST(VncDisplay, ServesTheWebViewerToBrowsers) {
  std::string dir = testing::TempDir() + "display_test_web";
  std::filesystem::create_directories(dir + "/core");
  std::ofstream(dir + "/vnc.html") << "<html>viewer</html>";
  std::ofstream(dir + "/core/rfb.js") << "export default 1;";
  std::ofstream(testing::TempDir() + "display_test_secret") << "secret";
  DisplayConfig config = vnc_config();
  config.vnc_web_dir = dir;
  auto display = open_ok(config);
  ASSERT_TRUE(display);
  int port = display->listen_port();

  std::string root = http_get(port, "/");
  EXPECT_EQ(root.rfind("HTTP/1.1 302 Found\r\n", 0), 0u) << root;
  EXPECT_NE(root.find("\r\nLocation: /vnc.html?autoconnect=1\r\n"), std::string::npos) << root;
  std::string page = http_get(port, "/vnc.html");
  EXPECT_EQ(page.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << page;
  EXPECT_NE(page.find("\r\nContent-Type: text/html; charset=utf-8\r\n"), std::string::npos) << page;
  EXPECT_EQ(body_of(page), "<html>viewer</html>");
  std::string module = http_get(port, "/core/rfb.js?v=1");
  EXPECT_NE(module.find("\r\nContent-Type: text/javascript"), std::string::npos) << module;  // modules need a JS type
  EXPECT_EQ(body_of(module), "export default 1;");
  for (const char* bad : {"/../display_test_secret", "/core/../../display_test_secret", "/missing.html", "/core"}) {
    std::string refused = http_get(port, bad);
    EXPECT_EQ(refused.rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u) << bad << ": " << refused;
    EXPECT_EQ(body_of(refused), "not found\n") << bad;
  }
  // RFB viewers still connect after the browser's visits.
  RfbClient client;
  EXPECT_TRUE(client.connect(port));
  std::filesystem::remove_all(dir);
  std::remove((testing::TempDir() + "display_test_secret").c_str());
}

TEST(VncDisplay, SaysWhatToInstallWhenNoVncIsMissing) {
  DisplayConfig config = vnc_config();
  config.vnc_web_dir = testing::TempDir() + "display_test_no_such_dir";
  auto display = open_ok(config);
  ASSERT_TRUE(display);
  std::string response = http_get(display->listen_port(), "/vnc.html");
  EXPECT_EQ(response.rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u) << response;
  EXPECT_EQ(body_of(response), "this VNC port serves no web viewer: install noVNC (apt install novnc), or connect a VNC viewer\n");
}

TEST(VncDisplay, ServesDebiansNoVnc) {
  if (::access("/usr/share/novnc/vnc.html", R_OK) != 0) GTEST_SKIP() << "Debian's novnc is not installed (apt install novnc)";
  auto display = open_ok(vnc_config());  // the default web directory
  ASSERT_TRUE(display);
  std::string page = http_get(display->listen_port(), "/vnc.html");
  EXPECT_EQ(page.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << page.substr(0, 200);
  EXPECT_NE(page.find("noVNC"), std::string::npos);
  std::string module = http_get(display->listen_port(), "/core/rfb.js");
  EXPECT_EQ(module.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << module.substr(0, 200);
}

// ---- SDL ----

// Sets (or, with nullptr, unsets) an environment variable for one scope.
class EnvOverride {
 public:
  EnvOverride(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    value ? ::setenv(name, value, 1) : ::unsetenv(name);
  }
  ~EnvOverride() { old_ ? ::setenv(name_, old_->c_str(), 1) : ::unsetenv(name_); }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

DisplayConfig sdl_config() {
  DisplayConfig c;
  c.kind = "sdl";
  c.width = 160;
  c.height = 120;
  c.title = "phantom display test";
  return c;
}

TEST(SdlDisplay, FailsCleanlyWithoutAGraphicalSession) {
  EnvOverride display("DISPLAY", nullptr), wayland("WAYLAND_DISPLAY", nullptr);
  expect_refused(sdl_config(), Errc::unsupported,
                 "--display sdl: no graphical session (DISPLAY and WAYLAND_DISPLAY are unset); use --display vnc or headless");
}

TEST(SdlDisplay, FailsCleanlyWhenTheXServerIsMissing) {
  EnvOverride display("DISPLAY", ":8765"), wayland("WAYLAND_DISPLAY", nullptr), driver("SDL_VIDEODRIVER", "x11");
  auto opened = open_display(sdl_config());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, Errc::unsupported);
  EXPECT_EQ(opened.error().message.rfind("--display sdl: cannot start SDL video: ", 0), 0u) << opened.error().message;
  EXPECT_NE(opened.error().message.find("; use --display vnc or headless"), std::string::npos) << opened.error().message;
}

// An X server of our own (Xvfb), stopped at the end of the test.
class Xvfb {
 public:
  // The display name (":N"), or empty when it did not start.
  std::string start() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return {};
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(fds[1], 3);  // -displayfd 3: Xvfb picks a free display and writes its number there when ready
      int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 2);
      ::execl("/usr/bin/Xvfb", "Xvfb", "-displayfd", "3", "-screen", "0", "320x240x24", "-nolisten", "tcp", nullptr);
      ::_exit(127);
    }
    ::close(fds[1]);
    std::string number;
    pollfd p{fds[0], POLLIN, 0};
    auto deadline = Clock::now() + wait_limit;
    char c;
    while (number.find('\n') == std::string::npos && Clock::now() < deadline &&
           ::poll(&p, 1, 100) >= 0) {
      if ((p.revents & (POLLIN | POLLHUP)) && ::read(fds[0], &c, 1) == 1) number += c;
      else if (p.revents & POLLHUP) break;
    }
    ::close(fds[0]);
    if (number.find('\n') == std::string::npos) return {};
    return ":" + number.substr(0, number.find('\n'));
  }
  ~Xvfb() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }

 private:
  pid_t pid_ = -1;
};

// A client of the X server through libX11 and libXtst, loaded at run time (the test links no X
// library, and Xlib.h's macros, such as Status, would collide with Phantom's names): screenshots of
// the root window, and synthetic input as if from a real mouse and keyboard.
class XClient {
 public:
  explicit XClient(const std::string& display_name) {
    x11_ = ::dlopen("libX11.so.6", RTLD_NOW | RTLD_LOCAL);
    xtst_ = ::dlopen("libXtst.so.6", RTLD_NOW | RTLD_LOCAL);
    if (!x11_ || !xtst_) return;
    load(x11_, "XOpenDisplay", open_), load(x11_, "XDefaultRootWindow", root_), load(x11_, "XGetImage", get_image_);
    load(x11_, "XFree", free_), load(x11_, "XCloseDisplay", close_), load(x11_, "XKeysymToKeycode", keycode_);
    load(x11_, "XSync", sync_), load(xtst_, "XTestFakeMotionEvent", motion_), load(xtst_, "XTestFakeButtonEvent", button_);
    load(xtst_, "XTestFakeKeyEvent", key_);
    if (open_ && root_ && get_image_ && free_ && close_ && keycode_ && sync_ && motion_ && button_ && key_)
      display_ = open_(display_name.c_str());
  }
  ~XClient() {
    if (display_) close_(display_);
    if (xtst_) ::dlclose(xtst_);
    if (x11_) ::dlclose(x11_);
  }
  bool ok() const { return display_ != nullptr; }

  // width * height pixels 0x00RRGGBB from the screen's top-left corner (a 24-bit screen).
  std::vector<std::uint32_t> screenshot(int width, int height) {
    struct XImagePrefix {  // the start of XImage
      int width, height, xoffset, format;
      char* data;
      int byte_order, bitmap_unit, bitmap_bit_order, bitmap_pad, depth, bytes_per_line, bits_per_pixel;
    };
    constexpr int z_pixmap = 2;
    std::vector<std::uint32_t> pixels;
    auto* image = static_cast<XImagePrefix*>(get_image_(display_, root_(display_), 0, 0, width, height, ~0ul, z_pixmap));
    if (!image) return pixels;
    if (image->bits_per_pixel == 32) {
      pixels.resize(static_cast<std::size_t>(width) * height);
      for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
          std::uint32_t p;
          std::memcpy(&p, image->data + static_cast<std::size_t>(y) * image->bytes_per_line + x * 4, 4);
          pixels[static_cast<std::size_t>(y) * width + x] = p & 0x00ffffff;
        }
    }
    free_(image->data);  // XDestroyImage is a macro; for XGetImage's images it frees these two
    free_(image);
    return pixels;
  }
  void move(int x, int y) { motion_(display_, -1, x, y, 0), sync_(display_, 0); }
  void button(unsigned number, bool press) { button_(display_, number, press, 0), sync_(display_, 0); }
  void key(unsigned long keysym, bool press) { key_(display_, keycode_(display_, keysym), press, 0), sync_(display_, 0); }
  void tap(unsigned long keysym) { key(keysym, true), key(keysym, false); }

 private:
  template <typename F>
  void load(void* lib, const char* name, F*& f) { f = reinterpret_cast<F*>(::dlsym(lib, name)); }
  void* x11_ = nullptr;
  void* xtst_ = nullptr;
  void* display_ = nullptr;
  void* (*open_)(const char*) = nullptr;
  unsigned long (*root_)(void*) = nullptr;
  void* (*get_image_)(void*, unsigned long, int, int, unsigned, unsigned, unsigned long, int) = nullptr;
  int (*free_)(void*) = nullptr;
  int (*close_)(void*) = nullptr;
  unsigned char (*keycode_)(void*, unsigned long) = nullptr;
  int (*sync_)(void*, int) = nullptr;
  int (*motion_)(void*, int, int, int, unsigned long) = nullptr;
  int (*button_)(void*, unsigned, int, unsigned long) = nullptr;
  int (*key_)(void*, unsigned, int, unsigned long) = nullptr;
};

// Waits until an event matching `want` arrives after the first `from` events; moves `from` past it.
bool next_event(Inbox& inbox, std::size_t& from, const InputEvent& want) {
  auto deadline = Clock::now() + wait_limit;
  while (Clock::now() < deadline) {
    auto events = inbox.wait_for(from + 1);
    for (std::size_t i = from; i < events.size(); ++i)
      if (show(events[i]) == show(want)) {
        from = i + 1;
        return true;
      }
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

TEST(SdlDisplay, ShowsTheFrameAndTakesInputUnderXvfb) {
  if (::access("/usr/bin/Xvfb", X_OK) != 0) GTEST_SKIP() << "Xvfb is not installed (apt install xvfb); no X server to open a window on";
  Xvfb server;
  std::string name = server.start();
  ASSERT_FALSE(name.empty()) << "Xvfb did not start";
  EnvOverride display_env("DISPLAY", name.c_str()), wayland("WAYLAND_DISPLAY", nullptr), driver("SDL_VIDEODRIVER", "x11");

  auto display = open_ok(sdl_config());
  ASSERT_TRUE(display);
  EXPECT_EQ(display->description(), "sdl window 160x120 (x11)");
  auto again = open_display(sdl_config());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::busy);
  Inbox inbox;
  display->on_input(inbox.handler());

  XClient x(name);
  if (!x.ok()) GTEST_SKIP() << "libX11 or libXtst could not be loaded to look at the screen; the window opened";

  // A frame of one colour with a differently coloured top-left block, found on the X screen.
  const std::uint32_t back = 0x00205080, block = 0x00f0c010;
  paint(*display, 0, 0, 160, 120, [&](int px, int py) { return px < 40 && py < 30 ? block : back; });
  auto deadline = Clock::now() + wait_limit;
  int left = -1, top = -1;
  while (left < 0 && Clock::now() < deadline) {
    auto shot = x.screenshot(320, 240);
    ASSERT_FALSE(shot.empty()) << "no screenshot";
    auto at = [&](int sx, int sy) { return shot[static_cast<std::size_t>(sy) * 320 + sx]; };
    for (int sy = 0; sy + 120 <= 240 && left < 0; ++sy)
      for (int sx = 0; sx + 160 <= 320 && left < 0; ++sx)
        if (at(sx, sy) == block && at(sx + 39, sy + 29) == block && at(sx + 40, sy) == back && at(sx, sy + 30) == back &&
            at(sx + 159, sy + 119) == back && (sx == 0 || at(sx - 1, sy) != block) && (sy == 0 || at(sx, sy - 1) != block))
          left = sx, top = sy;
    if (left < 0) std::this_thread::sleep_for(50ms);
  }
  ASSERT_GE(left, 0) << "the painted frame never appeared on the X screen";

  // The mouse, in frame coordinates (X buttons: 1 left, 2 middle, 3 right, 4 and 5 the wheel).
  std::size_t from = 0;
  x.move(left + 10, top + 20);
  EXPECT_TRUE(next_event(inbox, from, mouse_event(10, 20, 0)));
  x.button(1, true);
  EXPECT_TRUE(next_event(inbox, from, mouse_event(10, 20, mouse_left)));
  x.button(1, false);
  x.button(3, true);
  EXPECT_TRUE(next_event(inbox, from, mouse_event(10, 20, mouse_right)));
  x.button(3, false);
  EXPECT_TRUE(next_event(inbox, from, mouse_event(10, 20, 0)));
  x.button(4, true), x.button(4, false);
  EXPECT_TRUE(next_event(inbox, from, mouse_event(10, 20, 0, +1)));
  x.button(5, true), x.button(5, false);
  EXPECT_TRUE(next_event(inbox, from, mouse_event(10, 20, 0, -1)));

  // The keyboard (X keysyms): typing comes from SDL's text, other keys and shortcuts from key events.
  x.tap('a');
  EXPECT_TRUE(next_event(inbox, from, key_event('a', U'a', true)));
  EXPECT_TRUE(next_event(inbox, from, key_event('a', U'a', false)));
  x.key(0xffe1, true), x.tap('b'), x.key(0xffe1, false);  // Shift_L + b
  EXPECT_TRUE(next_event(inbox, from, key_event(0xffe1, 0, true, key_shift)));
  EXPECT_TRUE(next_event(inbox, from, key_event('B', U'B', true, key_shift)));
  EXPECT_TRUE(next_event(inbox, from, key_event('B', U'B', false, key_shift)));
  EXPECT_TRUE(next_event(inbox, from, key_event(0xffe1, 0, false)));
  x.tap(0xff0d);  // Return
  EXPECT_TRUE(next_event(inbox, from, key_event(0xff0d, U'\n', true)));
  EXPECT_TRUE(next_event(inbox, from, key_event(0xff0d, U'\n', false)));
  x.tap(0xff51);  // Left
  EXPECT_TRUE(next_event(inbox, from, key_event(0xff51, 0, true)));
  x.key(0xffe3, true), x.tap('c'), x.key(0xffe3, false);  // Control_L + c
  EXPECT_TRUE(next_event(inbox, from, key_event('c', U'c', true, key_ctrl)));
  EXPECT_TRUE(next_event(inbox, from, key_event('c', U'c', false, key_ctrl)));
  int typed_a = 0;
  for (const auto& e : inbox.wait_for(from))
    if (e.kind == InputEvent::Kind::key && e.keysym == 'a') ++typed_a;
  EXPECT_EQ(typed_a, 2) << "the typed 'a' should come once, as a press and a release";

  display->on_input(nullptr);
  display.reset();  // closes the window before Xvfb goes
}

}  // namespace
}  // namespace phantom::host
