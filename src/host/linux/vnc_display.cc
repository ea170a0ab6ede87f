// VNC display: an RFB server on the Display's frame through libvncserver, which also takes WebSocket
// (noVNC) connections on the same port (host layer). Built as the module phantom-display-vnc.so, loaded
// by open_display (plugin_loader.h).
// May call: Linux sockets, libvncserver.
//
// How it works. Each display has one thread that owns its rfbScreen and runs libvncserver's
// single-threaded loop (rfbProcessEvents), so the library's client list, regions and encoders are
// touched from that thread only; setup happens before it starts and teardown after it is joined.
// frame_changed records a dirty rectangle under our own mutex and wakes the loop through an eventfd
// placed in the screen's select set; the loop hands the rectangle to libvncserver, which sends it to
// the clients that asked for an update (RFB is pull: that request is the flow control).
//
// The listening socket is ours, not libvncserver's: it would only log a port in use (and with autoPort
// quietly take another), where ours is a clear error; port 0 works; and nothing listens anywhere but
// the configured address (no IPv6 wildcard, no HTTP port). The loop accepts connections itself and
// sorts them by what they send first: an RFB viewer waits for the server to speak, so silence for
// 100 ms means RFB (3 s while a browser is loading the viewer: see rfb_silence_near_browser); a
// WebSocket upgrade (noVNC) is an HTTP GET with "Upgrade: websocket". Both go to libvncserver
// (rfbNewClient), which does the WebSocket handshake and framing itself, except a WebSocket from a
// page of another origin: browsers let any web site open a WebSocket to 127.0.0.1,
// so without this check any page the user visits could watch and drive the desktop. Any other GET
// is a browser asking for noVNC's pages, which we serve from vnc_web_dir, so that one URL on one port
// gives a working viewer (of this origin). (libvncserver's own httpDir server cannot do this: it listens on another
// port, and Debian's 0.9.14 serves one connection at a time, which leaves noVNC's page loading
// forever, and aborts in FD_ISSET when it has no IPv6 socket.)
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rfb/rfb.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "host/display.h"

namespace phantom::host {
namespace {

// ---- logging ----

// libvncserver reports every connection on stderr; only its errors are worth the operator's eye, and
// not even all of those.
void log_nothing(const char*, ...) {}

bool is_noise(std::string_view message) {
  static constexpr std::string_view noise[] = {
      "Connection reset by peer", "Broken pipe",  // a viewer closed without saying goodbye
      "password check failed",                    // follows "authentication failed from <host>"
      "is not a multiple of 4",                   // a width only some 1990s viewers mind
  };
  return std::any_of(std::begin(noise), std::end(noise), [&](std::string_view n) { return message.find(n) != message.npos; });
}

void log_error(const char* format, ...) {
  char text[512];
  va_list args;
  va_start(args, format);
  std::vsnprintf(text, sizeof text, format, args);
  va_end(args);
  if (is_noise(text)) return;
  // A WebSocket handshake that libvncserver could not use, said so that the reader knows what to fix.
  if (std::strstr(text, "Hixie no longer supported") || std::strstr(text, "sec-websocket-key is missing")) {
    std::fputs("phantom: vnc: a client sent an old or incomplete WebSocket handshake; use a current noVNC or VNC viewer\n", stderr);
    return;
  }
  std::size_t n = std::strlen(text);
  while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r')) --n;
  std::fprintf(stderr, "phantom: vnc: %.*s\n", static_cast<int>(n), text);
}

// ---- the keyboard ----

// Modifier keysyms are contiguous from Shift_L (0xffe1) to Super_R (0xffec); a bit per key held lets
// releasing one Shift keep the other's state.
constexpr std::uint32_t keysym_shift_l = 0xffe1, keysym_caps_lock = 0xffe5, keysym_super_r = 0xffec;
constexpr std::uint32_t held_bit(std::uint32_t keysym) { return 1u << (keysym - keysym_shift_l); }
constexpr std::uint32_t held_shift = held_bit(0xffe1) | held_bit(0xffe2);
constexpr std::uint32_t held_ctrl = held_bit(0xffe3) | held_bit(0xffe4);
constexpr std::uint32_t held_meta = held_bit(0xffe7) | held_bit(0xffe8) | held_bit(0xffeb) | held_bit(0xffec);
constexpr std::uint32_t held_alt = held_bit(0xffe9) | held_bit(0xffea);

// The character a keysym types: Latin-1 keysyms are their code point, 0x01000000 + cp is Unicode, and
// the keypad types what its label says. Of the other keys, only Return, BackSpace and Tab type a
// control character; the rest (arrows, Escape, Delete, F-keys) are keys, not text.
char32_t keysym_character(std::uint32_t keysym) {
  auto printable = [](std::uint32_t cp) { return (cp >= 0x20 && cp < 0x7f) || (cp >= 0xa0 && cp <= 0x10ffff); };
  if (keysym < 0x100) return printable(keysym) ? keysym : 0;
  if (keysym >= 0x01000000 && keysym <= 0x0110ffff) return printable(keysym - 0x01000000) ? keysym - 0x01000000 : 0;
  switch (keysym) {
    case keysym_return: case 0xff8d: return U'\n';  // Return, KP_Enter
    case keysym_backspace: return 0x08;
    case keysym_tab: return U'\t';
    case 0xff80: return U' ';                       // KP_Space
    case 0xffaa: return U'*';
    case 0xffab: return U'+';
    case 0xffad: return U'-';
    case 0xffae: return U'.';
    case 0xffaf: return U'/';
    case 0xffbd: return U'=';
    default: break;
  }
  if (keysym >= 0xffb0 && keysym <= 0xffb9) return U'0' + (keysym - 0xffb0);  // KP_0..KP_9
  return 0;
}

// ---- the server ----

// Input state of one RFB client: kept per client so that one leaving with Shift held, or a second
// viewer, does not disturb another.
struct ClientState {
  std::uint32_t held = 0;       // held_bit of the modifier keys down
  bool caps_lock = false;
  int mask = -1;                // the last RFB button mask (-1: none yet)
  int x = -1, y = -1;

  std::uint32_t modifiers() const {
    return ((held & held_shift) ? key_shift : 0) | ((held & held_ctrl) ? key_ctrl : 0) | ((held & held_alt) ? key_alt : 0) |
           ((held & held_meta) ? key_meta : 0) | (caps_lock ? key_caps_lock : 0);
  }
};

struct ListenAddress {
  int family = AF_INET;
  sockaddr_storage address{};
  socklen_t length = 0;
  std::string text;  // as shown: 127.0.0.1, [::1]
};

Result<ListenAddress> parse_address(const std::string& configured, int port) {
  std::string host = configured == "localhost" ? "127.0.0.1" : configured;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  ListenAddress out;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out.address);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.address);
  if (::inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<std::uint16_t>(port));
    out.length = sizeof *v4;
    out.text = host;
  } else if (::inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    out.family = AF_INET6;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<std::uint16_t>(port));
    out.length = sizeof *v6;
    out.text = "[" + host + "]";
  } else {
    return make_error(Errc::invalid_argument,
                      "--display vnc: '{}' is not an IP address to listen on; give a numeric one such as 127.0.0.1 or ::1",
                      configured);
  }
  return out;
}

// A non-blocking listening socket on `where`; the real port through `port`.
Result<int> listen_on(const ListenAddress& where, int& port) {
  int fd = ::socket(where.family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return make_error(Errc::io, "--display vnc: cannot make a socket: {}", std::strerror(errno));
  int one = 1;
  // SO_REUSEADDR only lets a restarted world take its port back from TIME_WAIT; on Linux it never
  // lets two servers listen on one port, so "in use" below still means in use.
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (where.family == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&where.address), where.length) != 0 || ::listen(fd, 16) != 0) {
    int err = errno;
    ::close(fd);
    if (err == EADDRINUSE)
      return make_error(Errc::busy,
                        "--display vnc: {}:{} is in use (another VNC server or world?); choose another port, or 0 for any free one",
                        where.text, port);
    if (err == EADDRNOTAVAIL)
      return make_error(Errc::invalid_argument,
                        "--display vnc: {} is not an address of this machine; listen on 127.0.0.1 or one of its own", where.text);
    if (err == EACCES)
      return make_error(Errc::denied, "--display vnc: port {} needs privileges; use a port from 1024 up (5900 is usual)", port);
    return make_error(Errc::io, "--display vnc: cannot listen on {}:{}: {}", where.text, port, std::strerror(err));
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &length);
  port = ntohs(where.family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                        : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return fd;
}

// The first line of the password file. VNC authentication uses at most 8 bytes of it (DES keys).
Result<std::string> read_password(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return make_error(errno == ENOENT ? Errc::not_found : Errc::io,
                      "--display vnc: password file {}: {}; write the password on its first line", path, std::strerror(errno));
  std::string text;
  char buffer[1024];
  ssize_t n;
  while (text.find('\n') == std::string::npos && text.size() < 64 * 1024 && (n = ::read(fd, buffer, sizeof buffer)) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return make_error(Errc::io, "--display vnc: password file {}: {}", path, std::strerror(err));
    }
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  text = text.substr(0, text.find('\n'));
  if (!text.empty() && text.back() == '\r') text.pop_back();
  if (text.empty())
    return make_error(Errc::invalid_argument, "--display vnc: password file {}: the first line is empty; write the password there",
                      path);
  return text;
}

// The usual arrow pointer, white with a black outline, its hot spot at the tip.
rfbCursorPtr make_arrow() {
  static const char* const rows[] = {
      "X           ", "XX          ", "X.X         ", "X..X        ", "X...X       ", "X....X      ", "X.....X     ",
      "X......X    ", "X.......X   ", "X........X  ", "X.........X ", "X......XXXXX", "X...X..X    ", "X..XX..X    ",
      "X.X  X..X   ", "XX   X..X   ", "X     X..X  ", "      X..X  ", "       XX   ",
  };
  constexpr int width = 12, height = sizeof rows / sizeof rows[0];
  std::string source, mask;  // rfbMakeXCursor: a non-space sets the bit; source bits take the foreground
  for (const char* row : rows)
    for (int i = 0; i < width; ++i) {
      source += row[i] == '.' ? 'x' : ' ';
      mask += row[i] == ' ' ? ' ' : 'x';
    }
  rfbCursorPtr cursor = rfbMakeXCursor(width, height, source.data(), mask.data());
  if (!cursor) return nullptr;
  cursor->foreRed = cursor->foreGreen = cursor->foreBlue = 0xffff;
  cursor->backRed = cursor->backGreen = cursor->backBlue = 0;
  return cursor;
}

// ---- sorting new connections; noVNC's pages ----

using Clock = std::chrono::steady_clock;
constexpr auto rfb_silence = std::chrono::milliseconds(100);  // as long as libvncserver waits to tell
// While a browser loads the viewer it opens connections ahead of need (Chromium preconnects) and sends
// the request on them up to a few hundred milliseconds later: taken for RFB after 100 ms, such a
// connection gets the RFB greeting instead of a file, and the page hangs. So for a while after serving
// a page file, silence means RFB only after seconds (a VNC viewer then connects that much later).
constexpr auto rfb_silence_near_browser = std::chrono::seconds(3);
constexpr auto browser_nearby = std::chrono::seconds(30);
constexpr auto request_limit = std::chrono::seconds(2);       // for a browser's request to arrive whole
constexpr std::size_t max_pending = 32;                        // connections not yet sorted

enum class Arrival { unknown, rfb, web, foreign, drop };

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The value of a header in a lower-cased request head, trimmed; empty when absent.
std::string_view header(std::string_view head, std::string_view name) {
  std::string key = "\r\n" + std::string(name) + ":";
  auto at = head.find(key);
  if (at == head.npos) return {};
  std::string_view value = head.substr(at + key.size());
  value = value.substr(0, value.find("\r\n"));
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return value;
}

// Looks at what a new connection has sent so far (without taking it); for web and foreign, `request`
// gets the request head.
Arrival sort_arrival(int fd, Clock::duration waited, Clock::duration silence, std::string& request) {
  char buffer[4096];
  ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_PEEK);
  if (n == 0) return Arrival::drop;
  if (n < 0) {
    if (errno != EAGAIN && errno != EWOULDBLOCK) return Arrival::drop;
    return waited >= silence ? Arrival::rfb : Arrival::unknown;
  }
  std::string_view seen(buffer, static_cast<std::size_t>(n));
  constexpr std::string_view get = "GET ";
  if (seen.substr(0, get.size()) != get.substr(0, std::min(seen.size(), get.size()))) return Arrival::rfb;  // RFB, TLS
  auto end = seen.find("\r\n\r\n");
  if (end == seen.npos) return seen.size() == sizeof buffer || waited >= request_limit ? Arrival::drop : Arrival::unknown;
  request.assign(seen.substr(0, end + 4));
  std::string head = lower(request);
  if (header(head, "upgrade").find("websocket") == std::string_view::npos) return Arrival::web;
  // A WebSocket: only from a page of this very server (origin http://<host header>), like ours.
  std::string_view origin = header(head, "origin"), host = header(head, "host");
  auto scheme = origin.find("://");
  bool same = !host.empty() && scheme != origin.npos && origin.substr(scheme + 3) == host;
  return same ? Arrival::rfb : Arrival::foreign;  // libvncserver takes WebSocket clients
}

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::string_view content_type(std::string_view path) {
  static constexpr std::pair<std::string_view, std::string_view> types[] = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},  // modules need a JS type
      {".css", "text/css"}, {".svg", "image/svg+xml"}, {".png", "image/png"}, {".ico", "image/x-icon"},
      {".json", "application/json"}, {".oga", "audio/ogg"}, {".mp3", "audio/mpeg"}, {".woff", "font/woff"},
      {".ttf", "font/ttf"},
  };
  for (const auto& [suffix, type] : types)
    if (path.size() >= suffix.size() && path.substr(path.size() - suffix.size()) == suffix) return type;
  return "application/octet-stream";
}

void respond(int fd, std::string_view status, std::string_view extra_headers, std::string_view body) {
  std::string taken(4096, '\0');  // take the request, so closing does not reset the connection
  ::recv(fd, taken.data(), taken.size(), 0);
  send_all(fd, fmt::format("HTTP/1.1 {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n{}"
                           "Connection: close\r\n\r\n{}",
                           status, body.size(), extra_headers, body));
}

// Answers one browser request for noVNC's files (GET only, files under web_dir only), then closes.
// Returns whether it sent a file (a browser is loading the viewer).
// It runs on the loop thread: the files are small and the browser is usually local, and the socket's
// send timeout bounds a stalled one.
bool serve_web(int fd, const std::string& request, const std::string& web_dir) {
  bool served = false;
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  timeval limit{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
  auto give_up = Clock::now() + std::chrono::seconds(10);  // for a browser that stops reading

  std::string_view line(request);
  line = line.substr(0, line.find("\r\n"));
  std::string_view target = line.substr(4, line.find(' ', 4) == line.npos ? line.npos : line.find(' ', 4) - 4);
  target = target.substr(0, target.find_first_of("?#"));
  if (target == "/") {
    // noVNC takes host and port from the page's address, and libvncserver ignores its WebSocket path.
    respond(fd, "302 Found", "Location: /vnc.html?autoconnect=1\r\n", "");
  } else {
    auto plain = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("/._-", c); };
    bool safe = !web_dir.empty() && target.size() > 1 && target[0] == '/' && target.find("..") == target.npos &&
                target.find("//") == target.npos && std::all_of(target.begin(), target.end(), plain);
    int file = safe ? ::open((web_dir + std::string(target)).c_str(), O_RDONLY | O_CLOEXEC) : -1;
    struct stat info{};
    if (file >= 0 && (::fstat(file, &info) != 0 || !S_ISREG(info.st_mode))) {
      ::close(file);
      file = -1;
    }
    if (file < 0) {
      bool installed = ::access((web_dir + "/vnc.html").c_str(), R_OK) == 0;
      respond(fd, "404 Not Found", "",
              installed ? "not found\n"
                        : "this VNC port serves no web viewer: install noVNC (apt install novnc), or connect a VNC viewer\n");
    } else {
      std::string taken(request.size(), '\0');  // take the request, so closing does not reset the connection
      ::recv(fd, taken.data(), taken.size(), MSG_WAITALL);
      bool ok = send_all(fd, fmt::format("HTTP/1.1 200 OK\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\n"
                                         "Connection: close\r\n\r\n",
                                         content_type(target), info.st_size));
      char buffer[16384];
      ssize_t n;
      while (ok && Clock::now() < give_up && (n = ::read(file, buffer, sizeof buffer)) > 0)
        ok = send_all(fd, std::string_view(buffer, static_cast<std::size_t>(n)));
      ::close(file);
      served = ok;
    }
  }
  ::shutdown(fd, SHUT_WR);
  ::close(fd);
  return served;
}

class VncDisplay final : public Display {
 public:
  VncDisplay(int width, int height) : Display(width, height) {}
  ~VncDisplay() override;

  Status start(const DisplayConfig& config);

  void frame_changed(int x, int y, int w, int h) override;
  void on_input(std::function<void(const InputEvent&)> handler) override {
    std::lock_guard lock(input_mutex_);
    handler_ = std::move(handler);
  }
  std::string description() const override { return description_; }
  int listen_port() const override { return port_; }

 private:
  void run();
  void wake();
  void accept_arrivals();
  void sort_arrivals();
  // Called under input_mutex_, so after on_input(nullptr) returns no handler call is still running.
  void deliver(const InputEvent& event) {
    std::lock_guard lock(input_mutex_);
    if (handler_) handler_(event);
  }

  static VncDisplay& of(rfbClientPtr client) { return *static_cast<VncDisplay*>(client->screen->screenData); }
  static rfbNewClientAction on_new_client(rfbClientPtr client);
  static void on_client_gone(rfbClientPtr client);
  static void on_key(rfbBool down, rfbKeySym keysym, rfbClientPtr client);
  static void on_pointer(int mask, int x, int y, rfbClientPtr client);

  rfbScreenInfoPtr screen_ = nullptr;
  int listen_fd_ = -1;
  int wake_fd_ = -1;
  struct Arriving {
    int fd;
    Clock::time_point since;
  };
  std::vector<Arriving> arriving_;  // accepted, not yet sorted (loop thread)
  Clock::time_point last_web_{};     // when a page file was last served (loop thread)
  std::string web_dir_;
  std::thread thread_;
  std::atomic<bool> stop_{false};

  std::mutex dirty_mutex_;  // the union of the rectangles changed since the loop last looked
  bool dirty_ = false;
  int dirty_x0_ = 0, dirty_y0_ = 0, dirty_x1_ = 0, dirty_y1_ = 0;

  std::mutex input_mutex_;
  std::function<void(const InputEvent&)> handler_;

  rfbCursorPtr arrow_ = nullptr;
  std::string desktop_name_;
  std::string password_;
  char* passwords_[2] = {nullptr, nullptr};  // rfbCheckPasswordByList's NULL-terminated list
  std::string description_;
  int port_ = 0;
};

Status VncDisplay::start(const DisplayConfig& config) {
  if (config.vnc_port < 0 || config.vnc_port > 65535)
    return make_error(Errc::invalid_argument, "--display vnc: port {} is out of range; use 1 to 65535, or 0 for any free port",
                      config.vnc_port);
  PHANTOM_ASSIGN(ListenAddress where, parse_address(config.vnc_address, config.vnc_port));
  if (!config.vnc_password_file.empty()) {
    PHANTOM_ASSIGN(password_, read_password(config.vnc_password_file));
  }
  port_ = config.vnc_port;
  web_dir_ = config.vnc_web_dir;
  PHANTOM_ASSIGN(listen_fd_, listen_on(where, port_));
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) return make_error(Errc::io, "--display vnc: eventfd: {}", std::strerror(errno));

  rfbLog = log_nothing;
  rfbErr = log_error;
  // 8 bits per sample, 3 samples, 4 bytes per pixel; argc nullptr: no command line to parse.
  screen_ = rfbGetScreen(nullptr, nullptr, width_, height_, 8, 3, 4);
  if (!screen_) return make_error(Errc::io, "--display vnc: libvncserver could not make a screen");
  screen_->frameBuffer = reinterpret_cast<char*>(frame_.data());
  // Our pixels are 0x00RRGGBB words in host (little-endian) order; libvncserver's default assumes
  // bytes R, G, B in memory. Clients get translated from this format.
  screen_->serverFormat.redShift = 16;
  screen_->serverFormat.greenShift = 8;
  screen_->serverFormat.blueShift = 0;
  desktop_name_ = config.title;
  screen_->desktopName = desktop_name_.c_str();
  screen_->screenData = this;
  screen_->alwaysShared = TRUE;   // a second viewer joins instead of being refused or kicking the first
  screen_->deferUpdateTime = 0;   // the loop sends as soon as it looks; RFB's request/response paces it
  // The pointer: viewers that take a cursor shape (noVNC, most others) draw our arrow themselves, at
  // once and without a round trip. screen->cursor stays unset because libvncserver would otherwise
  // paint it into our frame for viewers that do not, racing the compositor; they show no pointer.
  arrow_ = make_arrow();
  screen_->cursor = nullptr;
  screen_->getCursorPtr = [](rfbClientPtr client) { return of(client).arrow_; };
  screen_->newClientHook = on_new_client;
  screen_->kbdAddEvent = on_key;
  screen_->ptrAddEvent = on_pointer;
  // libvncserver listens nowhere: no autoprobing, no IPv4 or IPv6 port, no HTTP server (httpDir unset).
  screen_->autoPort = FALSE;
  screen_->port = 0;
  screen_->ipv6port = 0;
  screen_->httpPort = 0;
  screen_->http6Port = 0;
  screen_->httpDir = nullptr;
  screen_->listen6Interface = nullptr;
  if (where.family == AF_INET) screen_->listenInterface = reinterpret_cast<sockaddr_in*>(&where.address)->sin_addr.s_addr;
  if (!password_.empty()) {
    passwords_[0] = password_.data();
    screen_->authPasswdData = passwords_;
    screen_->passwordCheck = rfbCheckPasswordByList;
  }
  rfbInitServer(screen_);  // also ignores SIGPIPE for the process, so a dead viewer is an error, not a signal

  // Both wake libvncserver's select; it ignores them otherwise (neither is its listenSock nor a client).
  screen_->port = port_;
  FD_SET(listen_fd_, &screen_->allFds);
  FD_SET(wake_fd_, &screen_->allFds);
  screen_->maxFd = std::max({screen_->maxFd, listen_fd_, wake_fd_});

  description_ = fmt::format("vnc on {}:{}", where.text, port_);
  thread_ = std::thread([this] { run(); });
  return ok_status();
}

VncDisplay::~VncDisplay() {
  if (thread_.joinable()) {
    stop_.store(true);
    wake();
    thread_.join();
  }
  for (const Arriving& a : arriving_) ::close(a.fd);
  if (screen_) {
    // The loop is gone, so this thread may touch the screen: close the clients (their hooks free
    // their state), then free the screen. The frame is ours, not freed there.
    rfbShutdownServer(screen_, TRUE);
    rfbScreenCleanup(screen_);
  }
  if (arrow_) rfbFreeCursor(arrow_);
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void VncDisplay::wake() {
  std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);  // only fails when already signalled (counter full)
}

void VncDisplay::frame_changed(int x, int y, int w, int h) {
  int x0 = std::max(x, 0), y0 = std::max(y, 0);
  int x1 = std::min(x + w, width_), y1 = std::min(y + h, height_);
  if (x0 >= x1 || y0 >= y1) return;
  {
    std::lock_guard lock(dirty_mutex_);
    if (dirty_) {
      x0 = std::min(x0, dirty_x0_), y0 = std::min(y0, dirty_y0_);
      x1 = std::max(x1, dirty_x1_), y1 = std::max(y1, dirty_y1_);
    }
    dirty_ = true;
    dirty_x0_ = x0, dirty_y0_ = y0, dirty_x1_ = x1, dirty_y1_ = y1;
  }
  wake();
}

void VncDisplay::run() {
  // The longest wait in select; rfbProcessEvents takes microseconds below one second.
  constexpr long idle_usec = 500'000;
  while (!stop_.load()) {
    std::uint64_t count;
    while (::read(wake_fd_, &count, sizeof count) > 0) {
    }
    bool marked = false;
    {
      std::lock_guard lock(dirty_mutex_);
      if (dirty_) {
        rfbMarkRectAsModified(screen_, dirty_x0_, dirty_y0_, dirty_x1_, dirty_y1_);
        dirty_ = false;
        marked = true;
      }
    }
    accept_arrivals();
    sort_arrivals();
    // Updates go out after the select, so when something is marked the select must not wait; a
    // connection not yet sorted is looked at again soon (its bytes do not wake the select).
    rfbProcessEvents(screen_, marked ? 0 : arriving_.empty() ? idle_usec : 10'000);
  }
}

void VncDisplay::accept_arrivals() {
  for (;;) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // EAGAIN: no more; EMFILE and the like: the next round tries again
    }
    if (arriving_.size() >= max_pending) {
      ::close(fd);
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    arriving_.push_back({fd, Clock::now()});
  }
}

void VncDisplay::sort_arrivals() {
  auto now = Clock::now();
  auto silence = now - last_web_ < browser_nearby ? Clock::duration(rfb_silence_near_browser) : Clock::duration(rfb_silence);
  std::erase_if(arriving_, [&](const Arriving& a) {
    std::string request;
    switch (sort_arrival(a.fd, now - a.since, silence, request)) {
      case Arrival::unknown: return false;
      case Arrival::rfb: rfbNewClient(screen_, a.fd); break;  // it closes the socket if the handshake fails
      case Arrival::web:
        if (serve_web(a.fd, request, web_dir_)) last_web_ = Clock::now();
        break;
      case Arrival::foreign:
        std::fputs("phantom: vnc: refused a WebSocket from a page of another web site; open the viewer at this port's own address\n",
                   stderr);
        ::fcntl(a.fd, F_SETFL, ::fcntl(a.fd, F_GETFL) & ~O_NONBLOCK);
        respond(a.fd, "403 Forbidden", "", "a WebSocket from another origin; open the viewer from this port\n");
        ::close(a.fd);
        break;
      case Arrival::drop: ::close(a.fd); break;
    }
    return true;
  });
}

rfbNewClientAction VncDisplay::on_new_client(rfbClientPtr client) {
  client->clientData = new ClientState;
  client->clientGoneHook = on_client_gone;
  return RFB_CLIENT_ACCEPT;
}

void VncDisplay::on_client_gone(rfbClientPtr client) {
  delete static_cast<ClientState*>(client->clientData);
  client->clientData = nullptr;
#ifdef LIBVNCSERVER_WITH_WEBSOCKETS
  // libvncserver 0.9.14 (Debian 12) never frees a WebSocket client's context, 45 KB a connection.
  // Fixed upstream (LibVNC/libvncserver#571) by freeing it after this hook only when still set.
  std::free(client->wsctx);
  client->wsctx = nullptr;
#endif
}

void VncDisplay::on_key(rfbBool down, rfbKeySym keysym, rfbClientPtr client) {
  auto* state = static_cast<ClientState*>(client->clientData);
  if (!state) return;
  if (keysym == keysym_caps_lock) {
    if (down) state->caps_lock = !state->caps_lock;
  } else if (keysym >= keysym_shift_l && keysym <= keysym_super_r) {
    if (down) state->held |= held_bit(keysym);
    else state->held &= ~held_bit(keysym);
  }
  InputEvent event;
  event.kind = InputEvent::Kind::key;
  event.keysym = keysym;
  event.character = keysym_character(keysym);  // on release too, so a press and its release match
  event.down = down;
  event.modifiers = state->modifiers();
  of(client).deliver(event);
}

void VncDisplay::on_pointer(int mask, int x, int y, rfbClientPtr client) {
  auto* state = static_cast<ClientState*>(client->clientData);
  if (!state) return;
  VncDisplay& self = of(client);
  x = std::clamp(x, 0, self.width_ - 1);
  y = std::clamp(y, 0, self.height_ - 1);
  // RFB buttons: bit 0 left, 1 middle, 2 right; bits 3 and 4 are the wheel up and down, pressed and
  // released once per step, so a step is a bit going from clear to set.
  int pressed = state->mask < 0 ? mask : mask & ~state->mask;
  InputEvent event;
  event.kind = InputEvent::Kind::mouse;
  event.x = x;
  event.y = y;
  event.buttons = ((mask & 1) ? mouse_left : 0) | ((mask & 2) ? mouse_middle : 0) | ((mask & 4) ? mouse_right : 0);
  event.wheel = ((pressed & 8) ? 1 : 0) - ((pressed & 16) ? 1 : 0);
  event.modifiers = state->modifiers();
  // The release of a wheel bit (or a horizontal wheel, bits 5 and 6) changes nothing we report.
  bool same = state->mask >= 0 && (state->mask & 7) == (mask & 7) && state->x == x && state->y == y && event.wheel == 0;
  state->mask = mask;
  state->x = x;
  state->y = y;
  if (!same) self.deliver(event);
}

}  // namespace

// The module's factory (display.h): the only symbol phantom-display-vnc.so exports.
Display* phantom_display_vnc_open_v1(const DisplayConfig& config, Error& error) {
  auto display = std::make_unique<VncDisplay>(config.width, config.height);
  auto started = display->start(config);
  if (!started.ok()) {
    error = started.take_error();
    return nullptr;
  }
  return display.release();
}

}  // namespace phantom::host
