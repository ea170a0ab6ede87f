// Windows, TTYs and bitmaps as the arena holds them (window system layer). A window is a
// `.internal.window` (a TTY, `.internal.io.tty`, is the same object with a text cursor): a Kind::refs
// object of eight slots holding only Refs and plain numbers (design.md rule 1). Its pixels, position,
// size, title, colours and state are world data, so a window is on screen after a restore exactly as
// at the snapshot; the decorations, the task bar and the composed frame are host-side and never dirty
// a world page. The desktop's windows are the array in root slot `root_windows`, bottom first: the
// list *is* the z-order (subsystems.md §1.2).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "ui/canvas.h"
#include "ui/text.h"
#include "vm/vm.h"

namespace phantom::ui {

using vm::Ref;

enum WindowSlot : std::uint32_t {
  win_props = 0,    // binary: WindowProps
  win_pixels = 1,   // binary: width * height pixels, bottom row first (ui/canvas.h)
  win_title = 2,    // string
  win_handler = 3,  // the object whose method 8 receives events (setEventHandler), or null
  win_events = 4,   // array: events waiting for the program (each an int array, event.h), oldest first
  win_pump = 5,     // the VM thread delivering events to the handler, or null
  window_slots = 8,
};

enum BitmapSlot : std::uint32_t { bmp_width = 0, bmp_height = 1, bmp_pixels = 2, bitmap_slots = 4 };

enum WindowFlag : std::uint32_t {
  wf_decorated = 1,   // a title bar and a border are drawn around it
  wf_on_top = 2,      // stays above windows without the flag
  wf_no_focus = 4,    // clicks do not focus it
  wf_background = 8,  // the desktop background: full screen, always at the bottom
  wf_tty = 16,        // a TTY: keys typed into it go to getwc
};
enum WindowState : std::uint32_t {
  ws_visible = 1, ws_rolled_up = 2, ws_focused = 4,
};

constexpr std::uint32_t window_magic = 0x4e495750;  // "PWIN", version 1

struct WindowProps {
  std::uint32_t magic;
  std::int32_t x, y;           // the client area's bottom-left corner on the screen (bottom-left origin)
  std::int32_t width, height;  // of the client area = of the pixel binary
  std::uint32_t flags, state;
  std::uint32_t fg, bg;        // drawing colours (0xAARRGGBB)
  std::uint32_t autoupdate;    // clear, drawString and the image natives show their result at once
  std::uint32_t stalled;       // events were dropped because the queue was full
  TextState text;              // the TTY's cursor and colours (ui/text.h)
};

constexpr int default_window_width = 400, default_window_height = 300;
constexpr int max_window_side = 8192;
constexpr std::uint64_t max_window_pixels = 16u << 20;
constexpr std::uint32_t max_queued_events = 512;  // as the original: more are dropped, the window is "stalled"

// Typed access to one window object. valid() is false for a window made by an older Phantom (no
// slots) or damaged: natives refuse it with a message instead of reading garbage.
class WindowView {
 public:
  WindowView(vm::Vm& vm, Ref self) : vm_(vm), self_(self) {}
  Ref self() const { return self_; }
  bool valid() const;
  Ref slot(WindowSlot s) const { return vm_.page_refs(self_)[s]; }
  void set_slot(WindowSlot s, Ref value) { vm_.set_page_ref(self_, s, value); }
  WindowProps& props() const { return *reinterpret_cast<WindowProps*>(vm_.heap().as<vm::BinaryData>(slot(win_props))->bytes); }
  Canvas canvas() const {
    auto* b = vm_.heap().as<vm::BinaryData>(slot(win_pixels));
    return {reinterpret_cast<std::uint32_t*>(b->bytes), props().width, props().height};
  }
  std::string_view title() const {
    Ref t = slot(win_title);
    return vm_.is_a(t, vm::cid_string) ? vm_.string_of(t) : std::string_view();
  }
  bool visible() const { return props().state & ws_visible; }
  Rect client() const { return {props().x, props().y, props().width, props().height}; }

 private:
  vm::Vm& vm_;
  Ref self_;
};

}  // namespace phantom::ui
