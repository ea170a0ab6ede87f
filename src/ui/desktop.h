// Desktop: the window system of one running world (window system layer). It installs the window,
// bitmap and TTY natives into the VM, keeps the desktop's windows (root slot `root_windows`, bottom
// first: the z-order), turns the user's input into focus, raise, drag, roll-up and close, and into
// events queued in the world for the program, and composes the windows into the host display.
//
// Threads: everything that touches the arena runs on the VM executor (natives, and tasks posted with
// Vm::post); input arrives on display threads or the control socket and is only queued there. The
// composed frame belongs to the display (host/display.h); composition reads window pixels and never
// writes the arena (design rule 4), so an idle desktop adds nothing to a snapshot.
//
// Events, as the program sees them (nextEvent, the handler's method 8): an int array.
//   mouse: [1, x, y, buttons held, buttons pressed now, buttons released now, wheel] (client
//          coordinates, bottom-left origin; buttons: 1 left, 2 right, 4 middle)
//   key:   [2, keysym, character, 1 down / 0 up, modifiers]   (host/display.h)
//   window:[3, what]: 1 got focus, 2 lost focus, 3 close button pressed
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "host/display.h"
#include "ui/canvas.h"
#include "ui/window_object.h"
#include "util/result.h"
#include "vm/vm.h"

namespace phantom::ui {

enum EventKind : std::int32_t { event_mouse = 1, event_key = 2, event_window = 3 };
enum WindowEvent : std::int32_t { window_got_focus = 1, window_lost_focus = 2, window_close = 3 };

struct DesktopConfig {
  int width = 1024, height = 768;  // the screen (also without a display: windows are placed on it)
  bool taskbar = true;
  bool clock = true;               // the task bar's clock (tests turn it off for exact images)
};

class Desktop {
 public:
  // Installs the natives and registers itself as the VM's ui extension.
  Desktop(vm::Vm& vm, const DesktopConfig& config);
  ~Desktop();

  // Shows the desktop on `display` (nullptr: none; windows live on without one). Before start().
  void attach_display(std::unique_ptr<host::Display> display);
  host::Display* display() { return display_.get(); }
  // After Vm::boot() or Vm::attach(), before Vm::run(): checks the stored windows and composes.
  void start();

  // Input from the user (any thread): queued, handled on the executor. Positions in host convention
  // (top-left origin), as host/display.h gives them.
  void inject(const host::InputEvent& event);
  // The screen as PNG (any thread); an error when no display is attached.
  Result<std::string> screenshot_png();
  // Waits (any thread but the executor) until every change so far is composed; false on timeout.
  bool wait_composed(int timeout_ms);
  std::string description() const;

  // ---- for the natives (executor) ----
  vm::Vm& vm() { return vm_; }
  const DesktopConfig& config() const { return config_; }
  // Makes `obj` (a new window or TTY) a window on the desktop: default size and place, on top.
  void make_window(Ref obj, bool tty);
  // The window's pixels changed in `r` (client coordinates): shown at the next update, or at once.
  void drew(Ref win, Rect r, bool show_now);
  void show_pending(Ref win);  // update(): what was drawn since the last update reaches the screen
  void moved(Ref win, Rect old_frame);  // position, size, state or title changed; old_frame: where it was
  // setWinPosition and tty.moveWindow; setTitle of both (cut to 256 bytes, never inside a character).
  void move_to(Ref win, std::int32_t x, std::int32_t y);
  void set_title(Ref win, std::string_view title);
  void raise(Ref win);
  void close(Ref win);
  // boot setScreenBackground: the picture is copied into the background window (made when missing).
  void set_background(const ConstCanvas& picture);
  // Events (executor): the next queued event of `win`, or raw_null.
  Ref take_event(Ref win, bool keys_only);
  // Parks the calling thread until an event for `win` arrives (the call then runs again).
  vm::NativeOutcome park_for_event(vm::NativeCall& call, Ref win);
  bool start_event_pump(Ref win, std::string& error);
  Rect frame_of(const WindowView& w) const;  // the window with its decorations, on the screen

 private:
  // Makes `obj` a window on top of the desktop: its parts allocated, filled with `bg`.
  void init_window(Ref obj, int x, int y, int width, int height, std::string_view title, std::uint32_t flags,
                   std::uint32_t bg);
  void install_natives();
  void handle_input(const host::InputEvent& e);
  void handle_mouse(const host::InputEvent& e);
  void handle_key(const host::InputEvent& e);
  void push_event(Ref win, std::initializer_list<std::int32_t> fields);
  void set_focus(Ref win);
  Ref window_at(int x, int y, Rect* frame_out) const;  // topmost visible window whose frame holds (x, y)
  void drain_input();  // handles the queued input (executor)
  void damage(Rect screen_rect);
  void compose_now();
  std::string clock_text();
  Ref windows() const { return vm_.root_slot(vm::root_windows); }

  vm::Vm& vm_;
  DesktopConfig config_;
  std::unique_ptr<host::Display> display_;

  std::mutex input_mutex_;
  std::deque<host::InputEvent> input_;
  bool input_posted_ = false;

  // Host-side state: lost on a restart, rebuilt or harmless then.
  std::unordered_map<Ref, Rect> pending_;  // drawn but not yet updated, per window (client coordinates)
  std::vector<Rect> damage_;               // screen rectangles to compose (bottom-left origin)
  bool compose_posted_ = false;
  std::unordered_map<Ref, std::vector<Ref>> waiting_;  // threads parked in nextEvent/getwc, per window
  Ref drag_window_ = vm::raw_null;
  int drag_dx_ = 0, drag_dy_ = 0;
  std::uint32_t last_buttons_ = 0;
  int pointer_x_ = 0, pointer_y_ = 0;
  std::vector<std::uint32_t> scratch_;

  std::string last_clock_;
  std::thread clock_thread_;  // asks for the clock's corner to be composed again when the minute changes
  std::mutex clock_mutex_;
  std::condition_variable clock_cv_;
  bool clock_stop_ = false;
};

inline Desktop& desktop_of(vm::Vm& vm) { return *static_cast<Desktop*>(vm.extension(vm::Vm::ext_ui)); }

}  // namespace phantom::ui
