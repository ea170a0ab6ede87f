// Display: a screen that shows the composed desktop and gives back the user's input (host layer
// interface). Back-ends under linux/: headless (a memory frame only), vnc (an RFB server through
// libvncserver, with WebSockets for noVNC), sdl (a desktop window through SDL2).
//
// Host conventions here, not Phantom's: the frame is top row first and input positions have a
// top-left origin; the window system (src/ui/) flips both. The frame's pixels are 0x00RRGGBB (XRGB,
// the byte order of 32-bit framebuffers on a little-endian machine).
//
// Threads: the compositor writes the frame and calls frame_changed() from one thread; the back-end
// reads it from its own threads (a torn frame is repainted by the next frame_changed). Input handlers
// run on a back-end thread and must only queue the event.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "util/result.h"

namespace phantom::host {

// Key modifiers and mouse buttons: bits (plain constants, so that `cond ? key_shift : 0` is an int).
constexpr std::uint32_t key_shift = 1, key_ctrl = 2, key_alt = 4, key_meta = 8, key_caps_lock = 16;
constexpr std::uint32_t mouse_left = 1, mouse_right = 2, mouse_middle = 4;

// X11 keysyms (what RFB and the control socket use) for keys without a character.
enum Keysym : std::uint32_t {
  keysym_backspace = 0xff08, keysym_tab = 0xff09, keysym_return = 0xff0d, keysym_escape = 0xff1b,
  keysym_left = 0xff51, keysym_up = 0xff52, keysym_right = 0xff53, keysym_down = 0xff54, keysym_delete = 0xffff,
};

struct InputEvent {
  enum class Kind { mouse, key } kind = Kind::mouse;
  // mouse: absolute position (top-left origin), the buttons held now (MouseButton bits), wheel steps
  // (positive: up) of this event.
  int x = 0, y = 0;
  std::uint32_t buttons = 0;
  int wheel = 0;
  // key: the X11 keysym, the character it types (UTF-32; 0 for none), press or release, modifiers.
  std::uint32_t keysym = 0;
  char32_t character = 0;
  bool down = true;
  std::uint32_t modifiers = 0;
};

struct DisplayConfig {
  std::string kind = "none";        // none, headless, vnc, sdl
  int width = 1024, height = 768;
  std::string vnc_address = "127.0.0.1";  // vnc: where the RFB (and WebSocket) server listens
  int vnc_port = 5900;                     // 0: any free port (description() says which)
  std::string vnc_password_file;           // vnc: the first line is the password; empty: no password
  // vnc: noVNC's files (Debian's novnc package), served to browsers on the VNC port itself, so that
  // http://address:port/ opens a working viewer; empty: browsers get nothing but WebSockets.
  std::string vnc_web_dir = "/usr/share/novnc";
  std::string title = "Phantom";           // sdl: the window title
};

class Display {
 public:
  virtual ~Display() = default;
  int width() const { return width_; }
  int height() const { return height_; }
  // width * height pixels, top row first, 0x00RRGGBB. Valid as long as the Display.
  std::uint32_t* frame() { return frame_.data(); }
  // Held by the compositor while it writes the frame, and by anyone copying it (screenshots).
  std::mutex& frame_mutex() { return frame_mutex_; }
  // The compositor changed this part of the frame (top-left origin); the back-end shows it.
  virtual void frame_changed(int x, int y, int w, int h) = 0;
  // Where the user's input goes (replaces an earlier handler; nullptr: dropped).
  virtual void on_input(std::function<void(const InputEvent&)> handler) = 0;
  // For the status line and `phantom status`: "headless 1024x768", "vnc on 127.0.0.1:5900".
  virtual std::string description() const = 0;
  // The TCP port a network back-end listens on (vnc: the real one when vnc_port was 0, for a
  // browser URL and for tests); 0 for back-ends without one.
  virtual int listen_port() const { return 0; }

 protected:
  Display(int width, int height) : width_(width), height_(height), frame_(static_cast<std::size_t>(width) * height, 0) {}
  const int width_, height_;
  std::vector<std::uint32_t> frame_;
  std::mutex frame_mutex_;
};

// Opens the back-end `config.kind` names ("none" is not a display: Errc::invalid_argument). Errors are
// clear: an unknown kind, a size out of 64..8192, a VNC port in use, no graphical session for sdl.
Result<std::unique_ptr<Display>> open_display(const DisplayConfig& config);

// The back-ends behind open_display (linux/*_display.cc), which validated the kind and size first;
// call open_display instead.
std::unique_ptr<Display> open_headless_display(const DisplayConfig& config);

// vnc and sdl are modules beside the executable, phantom-display-vnc.so and phantom-display-sdl.so,
// loaded by open_display the first time one is asked for (linux/plugin_loader.h); each exports one of
// these factories: the display, or nullptr with `error` set. extern "C", so that dlsym finds a plain
// name; C++ types cross it, which holds because a module is built in the same build, by the same
// compiler, as the executable. The _v1 becomes _v2 when a signature or a type behind it changes.
extern "C" [[gnu::visibility("default")]] Display* phantom_display_vnc_open_v1(const DisplayConfig& config, Error& error);
extern "C" [[gnu::visibility("default")]] Display* phantom_display_sdl_open_v1(const DisplayConfig& config, Error& error);

}  // namespace phantom::host
