// SDL display: the frame in a desktop window through SDL2, for a world run inside a graphical session
// (host layer). Built as the module phantom-display-sdl.so, loaded by open_display (plugin_loader.h).
// May call: SDL2.
//
// How it works. One thread does everything SDL: it initialises the video subsystem, owns the window,
// renderer and a streaming texture, and runs the event loop; no other thread calls SDL. frame_changed
// only widens a dirty rectangle; the loop uploads it and presents at most about 60 times a second,
// waking at least that often to look. The texture scales with the window (a logical size), so the
// user may resize it and positions still arrive in frame coordinates.
//
// Keyboard: SDL gives keys (SDL_KEYDOWN) and text (SDL_TEXTINPUT) separately. A key that types is
// reported once, from the text, with its character (down, then up); its own key events are dropped.
// Keys that do not type (arrows, Escape, F-keys) and keys pressed with Ctrl, Alt or the logo key
// (shortcuts, which type nothing) come from the key events, with X11 keysyms.
#include <SDL2/SDL.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <unordered_set>

#include <fmt/format.h>

#include "host/display.h"

namespace phantom::host {
namespace {

// SDL keeps global state; two windows from two threads would share it, so one per process.
std::atomic<bool> sdl_in_use{false};

// The X11 keysym of a key, 0 for keys we do not report. Printable ASCII keycodes are their
// characters, which are also their keysyms.
std::uint32_t keysym_of(SDL_Keycode key) {
  switch (key) {
    case SDLK_BACKSPACE: return keysym_backspace;
    case SDLK_TAB: return keysym_tab;
    case SDLK_RETURN: return keysym_return;
    case SDLK_ESCAPE: return keysym_escape;
    case SDLK_DELETE: return keysym_delete;
    case SDLK_LEFT: return keysym_left;
    case SDLK_UP: return keysym_up;
    case SDLK_RIGHT: return keysym_right;
    case SDLK_DOWN: return keysym_down;
    case SDLK_HOME: return 0xff50;
    case SDLK_PAGEUP: return 0xff55;
    case SDLK_PAGEDOWN: return 0xff56;
    case SDLK_END: return 0xff57;
    case SDLK_INSERT: return 0xff63;
    case SDLK_APPLICATION: return 0xff67;  // Menu
    case SDLK_KP_ENTER: return 0xff8d;
    case SDLK_LSHIFT: return 0xffe1;
    case SDLK_RSHIFT: return 0xffe2;
    case SDLK_LCTRL: return 0xffe3;
    case SDLK_RCTRL: return 0xffe4;
    case SDLK_CAPSLOCK: return 0xffe5;
    case SDLK_LALT: return 0xffe9;
    case SDLK_RALT: return 0xffea;
    case SDLK_LGUI: return 0xffeb;  // Super_L, as noVNC sends for the logo key
    case SDLK_RGUI: return 0xffec;
    default: break;
  }
  if (key >= SDLK_F1 && key <= SDLK_F12) return 0xffbe + static_cast<std::uint32_t>(key - SDLK_F1);
  if (key >= 0x20 && key < 0x7f) return static_cast<std::uint32_t>(key);
  return 0;
}

// The same control characters as the VNC display gives for these keys.
char32_t control_character(std::uint32_t keysym) {
  switch (keysym) {
    case keysym_return: case 0xff8d: return U'\n';
    case keysym_backspace: return 0x08;
    case keysym_tab: return U'\t';
    default: return 0;
  }
}

std::uint32_t keysym_of_character(char32_t c) {
  return (c >= 0x20 && c < 0x7f) || (c >= 0xa0 && c <= 0xff) ? c : 0x01000000 + c;
}

std::uint32_t modifiers_of(SDL_Keymod mod) {
  return ((mod & KMOD_SHIFT) ? key_shift : 0) | ((mod & KMOD_CTRL) ? key_ctrl : 0) | ((mod & KMOD_ALT) ? key_alt : 0) |
         ((mod & KMOD_GUI) ? key_meta : 0) | ((mod & KMOD_CAPS) ? key_caps_lock : 0);
}

// Modifiers whose keys type nothing: Ctrl, left Alt, the logo key. Right Alt is left out because on
// many layouts it is AltGr, which types (AltGr+q is @ on a German keyboard).
bool shortcut_held(SDL_Keymod mod) { return (mod & (KMOD_CTRL | KMOD_LALT | KMOD_GUI)) != 0; }

// Decodes UTF-8 from SDL_TEXTINPUT (SDL hands over only valid UTF-8).
std::u32string decode_utf8(const char* text) {
  std::u32string out;
  for (const auto* p = reinterpret_cast<const unsigned char*>(text); *p;) {
    char32_t c = *p;
    int extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
    c &= extra == 3 ? 0x07 : extra == 2 ? 0x0f : extra == 1 ? 0x1f : 0x7f;
    ++p;
    for (int i = 0; i < extra && (*p & 0xc0) == 0x80; ++i, ++p) c = (c << 6) | (*p & 0x3f);
    out += c;
  }
  return out;
}

class SdlDisplay final : public Display {
 public:
  SdlDisplay(int width, int height) : Display(width, height) {}
  ~SdlDisplay() override;

  Status start(const DisplayConfig& config);

  void frame_changed(int x, int y, int w, int h) override;
  void on_input(std::function<void(const InputEvent&)> handler) override {
    std::lock_guard lock(input_mutex_);
    handler_ = std::move(handler);
  }
  std::string description() const override { return description_; }

 private:
  // On the SDL thread.
  void run(const std::string& title, std::promise<std::string>& started);
  std::string open_window(const std::string& title);
  void close_window();
  void loop();
  void handle(const SDL_Event& event);
  void present();
  void mouse(int x, int y, int wheel);
  void key(SDL_Keycode code, bool down);  // a held key repeats as further presses, as RFB viewers send it
  void text(const char* utf8);

  void deliver(const InputEvent& event) {
    std::lock_guard lock(input_mutex_);
    if (handler_) handler_(event);
  }

  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::string description_;

  std::mutex dirty_mutex_;  // the union of the rectangles changed since the last upload
  bool dirty_ = false;
  int dirty_x0_ = 0, dirty_y0_ = 0, dirty_x1_ = 0, dirty_y1_ = 0;

  std::mutex input_mutex_;
  std::function<void(const InputEvent&)> handler_;

  // SDL thread only.
  SDL_Window* window_ = nullptr;
  SDL_Renderer* renderer_ = nullptr;
  SDL_Texture* texture_ = nullptr;
  bool repaint_ = false;                    // the window needs presenting though the frame did not change
  std::uint32_t buttons_ = 0;
  int pointer_x_ = 0, pointer_y_ = 0;
  SDL_Keymod mod_ = KMOD_NONE;              // the modifiers as of the last key event handled
  std::unordered_set<SDL_Keycode> typing_;  // keys whose press was left to SDL_TEXTINPUT
};

Status SdlDisplay::start(const DisplayConfig& config) {
  if (sdl_in_use.exchange(true))
    return make_error(Errc::busy, "--display sdl: this process already shows a window; use one sdl display (or vnc)");
  std::promise<std::string> started;
  auto result = started.get_future();
  thread_ = std::thread([this, title = config.title, &started] { run(title, started); });
  std::string error = result.get();
  if (!error.empty()) {
    thread_.join();
    sdl_in_use.store(false);
    return make_error(Errc::unsupported, "--display sdl: {}; use --display vnc or headless", error);
  }
  return ok_status();
}

SdlDisplay::~SdlDisplay() {
  if (!thread_.joinable()) return;
  stop_.store(true);
  thread_.join();
  sdl_in_use.store(false);
}

void SdlDisplay::frame_changed(int x, int y, int w, int h) {
  int x0 = std::max(x, 0), y0 = std::max(y, 0);
  int x1 = std::min(x + w, width_), y1 = std::min(y + h, height_);
  if (x0 >= x1 || y0 >= y1) return;
  std::lock_guard lock(dirty_mutex_);
  if (dirty_) {
    x0 = std::min(x0, dirty_x0_), y0 = std::min(y0, dirty_y0_);
    x1 = std::max(x1, dirty_x1_), y1 = std::max(y1, dirty_y1_);
  }
  dirty_ = true;
  dirty_x0_ = x0, dirty_y0_ = y0, dirty_x1_ = x1, dirty_y1_ = y1;
}

void SdlDisplay::run(const std::string& title, std::promise<std::string>& started) {
  std::string error = open_window(title);
  if (!error.empty()) {
    close_window();
    started.set_value(error);  // `started` dies with the opener's frame right after this
    return;
  }
  description_ = fmt::format("sdl window {}x{} ({})", width_, height_, SDL_GetCurrentVideoDriver());
  started.set_value({});
  loop();
  close_window();
}

std::string SdlDisplay::open_window(const std::string& title) {
  // Phantom handles SIGINT and SIGTERM itself (a clean stop with a snapshot); SDL would turn them
  // into SDL_QUIT, which we ignore. The world is not a game: let the screensaver run.
  SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
  SDL_SetHint(SDL_HINT_VIDEO_ALLOW_SCREENSAVER, "1");
  if (SDL_Init(SDL_INIT_VIDEO) != 0) return fmt::format("cannot start SDL video: {}", SDL_GetError());
  window_ = SDL_CreateWindow(title.c_str(), SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, width_, height_,
                             SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI);
  if (!window_) return fmt::format("cannot open a window: {}", SDL_GetError());
  renderer_ = SDL_CreateRenderer(window_, -1, 0);
  if (!renderer_) renderer_ = SDL_CreateRenderer(window_, -1, SDL_RENDERER_SOFTWARE);
  if (!renderer_) return fmt::format("cannot draw in the window: {}", SDL_GetError());
  SDL_RenderSetLogicalSize(renderer_, width_, height_);  // also maps mouse positions to frame pixels
  // RGB888 is SDL's name for 32-bit 0x00RRGGBB words (the top byte ignored), exactly our frame.
  // ARGB8888 has the same layout but would make our zero alpha byte blend to nothing.
  texture_ = SDL_CreateTexture(renderer_, SDL_PIXELFORMAT_RGB888, SDL_TEXTUREACCESS_STREAMING, width_, height_);
  if (!texture_) return fmt::format("cannot make a texture: {}", SDL_GetError());
  {
    std::lock_guard lock(dirty_mutex_);
    dirty_ = true;
    dirty_x0_ = 0, dirty_y0_ = 0, dirty_x1_ = width_, dirty_y1_ = height_;
  }
  present();
  SDL_StartTextInput();
  return {};
}

void SdlDisplay::close_window() {
  if (texture_) SDL_DestroyTexture(texture_);
  if (renderer_) SDL_DestroyRenderer(renderer_);
  if (window_) SDL_DestroyWindow(window_);
  texture_ = nullptr, renderer_ = nullptr, window_ = nullptr;
  SDL_Quit();
}

void SdlDisplay::loop() {
  using clock = std::chrono::steady_clock;
  constexpr auto frame_time = std::chrono::milliseconds(16);
  auto last_present = clock::now();
  while (!stop_.load()) {
    // Waking once a frame also notices frame_changed and stop_, which may not call SDL to wake us.
    SDL_Event event;
    if (SDL_WaitEventTimeout(&event, 16)) {
      handle(event);
      while (SDL_PollEvent(&event)) handle(event);
    }
    bool dirty;
    {
      std::lock_guard lock(dirty_mutex_);
      dirty = dirty_;
    }
    auto now = clock::now();
    if ((dirty || repaint_) && now - last_present >= frame_time) {
      present();
      last_present = now;
    }
  }
}

void SdlDisplay::present() {
  {
    std::lock_guard lock(dirty_mutex_);
    if (dirty_) {
      SDL_Rect r{dirty_x0_, dirty_y0_, dirty_x1_ - dirty_x0_, dirty_y1_ - dirty_y0_};
      std::lock_guard frame_lock(frame_mutex_);
      SDL_UpdateTexture(texture_, &r, &frame_[static_cast<std::size_t>(r.y) * width_ + r.x], width_ * 4);
      dirty_ = false;
    }
  }
  SDL_SetRenderDrawColor(renderer_, 0, 0, 0, 255);
  SDL_RenderClear(renderer_);  // the letterbox bars when the window's shape differs from the frame's
  SDL_RenderCopy(renderer_, texture_, nullptr, nullptr);
  SDL_RenderPresent(renderer_);
  repaint_ = false;
}

void SdlDisplay::handle(const SDL_Event& event) {
  switch (event.type) {
    case SDL_MOUSEMOTION:
      mouse(event.motion.x, event.motion.y, 0);
      break;
    case SDL_MOUSEBUTTONDOWN:
    case SDL_MOUSEBUTTONUP: {
      std::uint32_t bit = event.button.button == SDL_BUTTON_LEFT     ? mouse_left
                          : event.button.button == SDL_BUTTON_MIDDLE ? mouse_middle
                          : event.button.button == SDL_BUTTON_RIGHT  ? mouse_right
                                                                     : 0;
      if (!bit) break;
      buttons_ = event.type == SDL_MOUSEBUTTONDOWN ? buttons_ | bit : buttons_ & ~bit;
      mouse(event.button.x, event.button.y, 0);
      break;
    }
    case SDL_MOUSEWHEEL:
      // y > 0: away from the user, which is "up". A flipped (natural scrolling) wheel is reported as the
      // user asked for it, so it is not flipped back.
      if (event.wheel.y != 0) mouse(pointer_x_, pointer_y_, event.wheel.y);
      break;
    case SDL_KEYDOWN:
    case SDL_KEYUP:
      // The state as of this event (SDL_GetModState would give the state after the whole batch, when
      // Shift may already be up again for the "B" still waiting in the queue).
      mod_ = static_cast<SDL_Keymod>(event.key.keysym.mod);
      key(event.key.keysym.sym, event.type == SDL_KEYDOWN);
      break;
    case SDL_TEXTINPUT:
      text(event.text.text);
      break;
    case SDL_WINDOWEVENT:
      if (event.window.event == SDL_WINDOWEVENT_EXPOSED || event.window.event == SDL_WINDOWEVENT_SIZE_CHANGED ||
          event.window.event == SDL_WINDOWEVENT_RESTORED)
        repaint_ = true;
      break;
    // Closing the window (SDL_WINDOWEVENT_CLOSE, then SDL_QUIT) does nothing on purpose: the window is
    // only a view of a world that keeps running; `phantom stop` ends the world.
    default:
      break;
  }
}

void SdlDisplay::mouse(int x, int y, int wheel) {
  // While a button is held SDL keeps reporting outside the window, and the letterbox lies outside the frame.
  pointer_x_ = std::clamp(x, 0, width_ - 1);
  pointer_y_ = std::clamp(y, 0, height_ - 1);
  InputEvent event;
  event.kind = InputEvent::Kind::mouse;
  event.x = pointer_x_;
  event.y = pointer_y_;
  event.buttons = buttons_;
  event.wheel = wheel;
  event.modifiers = modifiers_of(mod_);
  deliver(event);
}

void SdlDisplay::key(SDL_Keycode code, bool down) {
  std::uint32_t keysym = keysym_of(code);
  if (!keysym) return;
  SDL_Keymod mod = mod_;
  bool printable = code >= 0x20 && code < 0x7f;
  if (printable && down && !shortcut_held(mod)) {
    typing_.insert(code);  // SDL_TEXTINPUT follows with what it types
    return;
  }
  if (!down && typing_.erase(code)) return;
  InputEvent event;
  event.kind = InputEvent::Kind::key;
  event.keysym = keysym;
  event.character = printable ? static_cast<char32_t>(code) : control_character(keysym);
  event.down = down;
  event.modifiers = modifiers_of(mod);
  deliver(event);
}

void SdlDisplay::text(const char* utf8) {
  SDL_Keymod mod = mod_;
  if (shortcut_held(mod)) return;  // X11 still types "a" for Alt+a; the key event reported it
  for (char32_t c : decode_utf8(utf8)) {
    InputEvent event;
    event.kind = InputEvent::Kind::key;
    event.keysym = keysym_of_character(c);
    event.character = c;
    event.modifiers = modifiers_of(mod);
    event.down = true;
    deliver(event);
    event.down = false;
    deliver(event);
  }
}

}  // namespace

// The module's factory (display.h): the only symbol phantom-display-sdl.so exports.
Display* phantom_display_sdl_open_v1(const DisplayConfig& config, Error& error) {
  auto display = std::make_unique<SdlDisplay>(config.width, config.height);
  auto started = display->start(config);
  if (!started.ok()) {
    error = started.take_error();
    return nullptr;
  }
  return display.release();
}

}  // namespace phantom::host
