// .internal.window (window system layer, subsystems.md §1.5). The original's table, with its bugs fixed
// (docs/compatibility.md): getX/getY return the window's position, setWinSize resizes, drawImage copies
// the picture without the one-pixel shift, setEventHandler delivers events. Ours from 38:
//   38 close()                      the window leaves the desktop
//   39 nextEvent() → event          waits for the next event (desktop.h says what an event is)
//   40 drawText(x, y, s, size)      TrueType text in fg, y the baseline
//   41 setVisible(0|1)
//   42 textWidth(s, size) → int     the advance of drawText's text in pixels
//   43 pollEvent() → event or null
//   44 eventHandler() → the object given to setEventHandler, or null
// Drawing clips to the window: no argument can write outside its pixels.
#include "ui/desktop.h"
#include "ui/native_args.h"
#include "ui/natives.h"

namespace phantom::ui {
namespace {

using vm::NativeCall;
using vm::NativeOutcome;
using vm::Vm;

constexpr std::size_t max_draw_string = 1024;  // as the original

#define WINDOW(name)            \
  Args a{vm, c, "window." name}; \
  WindowView w(vm, c.self);     \
  if (!a.window(w)) return a.out

NativeOutcome int_result(Vm& vm, NativeCall& c, std::int32_t v) { return c.ret(vm.new_int(v)); }

NativeOutcome get_x_size(Vm& vm, NativeCall& c) {
  WINDOW("getXSize");
  return int_result(vm, c, w.props().width);
}
NativeOutcome get_y_size(Vm& vm, NativeCall& c) {
  WINDOW("getYSize");
  return int_result(vm, c, w.props().height);
}
NativeOutcome get_x(Vm& vm, NativeCall& c) {
  WINDOW("getX");
  return int_result(vm, c, w.props().x);
}
NativeOutcome get_y(Vm& vm, NativeCall& c) {
  WINDOW("getY");
  return int_result(vm, c, w.props().y);
}

NativeOutcome clear(Vm& vm, NativeCall& c) {
  WINDOW("clear");
  Canvas canvas = w.canvas();
  Rect r = fill(canvas, w.props().bg);
  w.props().text.x = w.props().text.y = 0;
  desktop_of(vm).drew(w.self(), r, w.props().autoupdate);
  return a.done();
}

NativeOutcome fill_colour(Vm& vm, NativeCall& c) {
  WINDOW("fill");
  std::int32_t colour;
  if (!a.count(1) || !a.integer(0, colour)) return a.out;
  Canvas canvas = w.canvas();
  desktop_of(vm).drew(w.self(), fill(canvas, static_cast<std::uint32_t>(colour)), false);
  return a.done();
}

NativeOutcome set_fg(Vm& vm, NativeCall& c) {
  WINDOW("setFg");
  std::int32_t colour;
  if (!a.count(1) || !a.integer(0, colour)) return a.out;
  w.props().fg = static_cast<std::uint32_t>(colour);
  return a.done();
}

NativeOutcome set_bg(Vm& vm, NativeCall& c) {
  WINDOW("setBg");
  std::int32_t colour;
  if (!a.count(1) || !a.integer(0, colour)) return a.out;
  w.props().bg = static_cast<std::uint32_t>(colour);
  return a.done();
}

NativeOutcome draw_string(Vm& vm, NativeCall& c) {
  WINDOW("drawString");
  std::int32_t x, y;
  std::string_view s;
  if (!a.count(3) || !a.integer(0, x) || !a.integer(1, y) || !a.string(2, s)) return a.out;
  TextState text;
  text.x = x;
  text.y = y;
  text.fg = text.default_fg = w.props().fg;
  text.bg = text.default_bg = w.props().bg;
  Canvas canvas = w.canvas();
  Rect r = draw_tty_text(canvas, text, s.substr(0, max_draw_string));
  desktop_of(vm).drew(w.self(), r, w.props().autoupdate);
  return a.done();
}

NativeOutcome draw_image(Vm& vm, NativeCall& c) {
  WINDOW("drawImage");
  std::int32_t x, y;
  ConstCanvas picture;
  if (!a.count(3) || !a.integer(0, x) || !a.integer(1, y) || !bitmap_arg(a, 2, picture)) return a.out;
  Canvas canvas = w.canvas();
  Rect r = copy_rect(canvas, x, y, picture, 0, 0, picture.width, picture.height);
  desktop_of(vm).drew(w.self(), r, w.props().autoupdate);
  return a.done();
}

NativeOutcome draw_image_part(Vm& vm, NativeCall& c) {
  WINDOW("drawImagePart");
  std::int32_t x, y, xs, ys, pw, ph;
  ConstCanvas picture;
  if (!a.count(7) || !a.integer(0, x) || !a.integer(1, y) || !bitmap_arg(a, 2, picture) || !a.integer(3, xs) ||
      !a.integer(4, ys) || !a.integer(5, pw) || !a.integer(6, ph))
    return a.out;
  // Where drawImage at (x, y) would have put that part of the picture (subsystems.md §1.5).
  Canvas canvas = w.canvas();
  std::int64_t dx = std::int64_t(x) + xs, dy = std::int64_t(y) + ys;
  Rect r;
  if (dx > INT32_MIN && dx < INT32_MAX && dy > INT32_MIN && dy < INT32_MAX)
    r = copy_rect(canvas, static_cast<int>(dx), static_cast<int>(dy), picture, xs, ys, pw, ph);
  desktop_of(vm).drew(w.self(), r, w.props().autoupdate);
  return a.done();
}

NativeOutcome set_win_size(Vm& vm, NativeCall& c) {
  WINDOW("setWinSize");
  std::int32_t width, height;
  if (!a.count(2) || !a.integer(0, width) || !a.integer(1, height)) return a.out;
  if (width < 1 || height < 1 || width > max_window_side || height > max_window_side ||
      std::uint64_t(width) * height > max_window_pixels)
    return vm.throw_string(c, fmt::format("window.setWinSize: {}x{} is not a window size (1..{} each side, at most {} pixels)",
                                          width, height, max_window_side, max_window_pixels));
  if (width == w.props().width && height == w.props().height) return a.done();
  Rect old = desktop_of(vm).frame_of(w);
  Ref pixels = vm.new_binary(static_cast<std::uint32_t>(width) * static_cast<std::uint32_t>(height) * 4);
  Canvas grown{reinterpret_cast<std::uint32_t*>(vm.heap().as<vm::BinaryData>(pixels)->bytes), width, height};
  fill(grown, w.props().bg);
  Canvas before = w.canvas();
  copy_rect(grown, 0, 0, ConstCanvas(before), 0, 0, before.width, before.height);  // the bottom-left part stays
  w.set_slot(win_pixels, pixels);
  w.props().width = width;
  w.props().height = height;
  desktop_of(vm).moved(w.self(), old);
  return a.done();
}

NativeOutcome set_win_position(Vm& vm, NativeCall& c) {
  WINDOW("setWinPosition");
  std::int32_t x, y;
  if (!a.count(2) || !a.integer(0, x) || !a.integer(1, y)) return a.out;
  desktop_of(vm).move_to(w.self(), x, y);
  return a.done();
}

template <Rect (*draw)(Canvas&, int, int, int, int, std::uint32_t)>
NativeOutcome shape(Vm& vm, NativeCall& c, const char* name) {
  Args a{vm, c, name};
  WindowView w(vm, c.self);
  if (!a.window(w)) return a.out;
  std::int32_t v[4];
  if (!a.count(4)) return a.out;
  for (std::uint32_t k = 0; k < 4; ++k)
    if (!a.integer(k, v[k])) return a.out;
  Canvas canvas = w.canvas();
  desktop_of(vm).drew(w.self(), draw(canvas, v[0], v[1], v[2], v[3], w.props().fg), false);
  return a.done();
}
NativeOutcome line(Vm& vm, NativeCall& c) { return shape<&draw_line>(vm, c, "window.drawLine"); }
NativeOutcome box(Vm& vm, NativeCall& c) { return shape<&draw_box>(vm, c, "window.drawBox"); }
NativeOutcome filled_box(Vm& vm, NativeCall& c) { return shape<&fill_box>(vm, c, "window.fillBox"); }
NativeOutcome ellipse(Vm& vm, NativeCall& c) { return shape<&fill_ellipse>(vm, c, "window.fillEllipse"); }

NativeOutcome set_event_handler(Vm& vm, NativeCall& c) {
  WINDOW("setEventHandler");
  if (!a.count(1)) return a.out;
  Ref handler = c.args[0];
  if (vm.is_null(handler)) {
    w.set_slot(win_handler, vm.null_object());
    return a.done();
  }
  if (!vm.defines_method(handler, 8))
    return vm.throw_string(c, "window.setEventHandler: the handler's class has no method 8 (declare it: void event(var e) [8])");
  w.set_slot(win_handler, handler);
  std::string error;
  if (!desktop_of(vm).start_event_pump(w.self(), error)) return vm.throw_string(c, error);
  return a.done();
}

NativeOutcome set_title(Vm& vm, NativeCall& c) {
  WINDOW("setTitle");
  std::string_view s;
  if (!a.count(1) || !a.string(0, s)) return a.out;
  desktop_of(vm).set_title(w.self(), s);
  return a.done();
}

NativeOutcome update(Vm& vm, NativeCall& c) {
  WINDOW("update");
  desktop_of(vm).show_pending(w.self());
  return a.done();
}

NativeOutcome scroll_hor(Vm& vm, NativeCall& c) {
  WINDOW("scrollHor");
  std::int32_t v[5];
  if (!a.count(5)) return a.out;
  for (std::uint32_t k = 0; k < 5; ++k)
    if (!a.integer(k, v[k])) return a.out;
  Canvas canvas = w.canvas();
  if (!scroll_horizontal(canvas, v[0], v[1], v[2], v[3], v[4], w.props().bg)) return int_result(vm, c, 22);  // EINVAL
  desktop_of(vm).drew(w.self(), {v[0], v[1], v[2], v[3]}, false);
  return int_result(vm, c, 0);
}

NativeOutcome set_auto_update(Vm& vm, NativeCall& c) {
  WINDOW("setAutoUpdate");
  std::int32_t on;
  if (!a.count(1) || !a.integer(0, on)) return a.out;
  w.props().autoupdate = on != 0;
  return a.done();
}

NativeOutcome close(Vm& vm, NativeCall& c) {
  WINDOW("close");
  desktop_of(vm).close(w.self());
  return a.done();
}

NativeOutcome next_event(Vm& vm, NativeCall& c) {
  WINDOW("nextEvent");
  Ref e = desktop_of(vm).take_event(w.self(), false);
  if (e != vm::raw_null) return c.ret(e);
  return desktop_of(vm).park_for_event(c, w.self());
}

NativeOutcome poll_event(Vm& vm, NativeCall& c) {
  WINDOW("pollEvent");
  Ref e = desktop_of(vm).take_event(w.self(), false);
  return c.ret(e != vm::raw_null ? e : vm.null_object());
}

NativeOutcome event_handler(Vm& vm, NativeCall& c) {
  WINDOW("eventHandler");
  Ref h = w.slot(win_handler);
  return c.ret(h == vm::raw_null ? vm.null_object() : h);
}

NativeOutcome draw_text(Vm& vm, NativeCall& c) {
  WINDOW("drawText");
  std::int32_t x, y, size;
  std::string_view s;
  if (!a.count(4) || !a.integer(0, x) || !a.integer(1, y) || !a.string(2, s) || !a.integer(3, size)) return a.out;
  if (size < 4 || size > 256) return vm.throw_string(c, fmt::format("window.drawText: size {} is not 4..256 pixels", size));
  Canvas canvas = w.canvas();
  Rect r = draw_truetype(canvas, x, y, s.substr(0, 4096), size, w.props().fg);
  desktop_of(vm).drew(w.self(), r, w.props().autoupdate);
  return a.done();
}

NativeOutcome text_width(Vm& vm, NativeCall& c) {
  Args a{vm, c, "window.textWidth"};
  std::int32_t size;
  std::string_view s;
  if (!a.count(2) || !a.string(0, s) || !a.integer(1, size)) return a.out;
  if (size < 4 || size > 256) return vm.throw_string(c, fmt::format("window.textWidth: size {} is not 4..256 pixels", size));
  return int_result(vm, c, truetype_width(s.substr(0, 4096), size));
}

NativeOutcome set_visible(Vm& vm, NativeCall& c) {
  WINDOW("setVisible");
  std::int32_t on;
  if (!a.count(1) || !a.integer(0, on)) return a.out;
  Rect old = desktop_of(vm).frame_of(w);
  if (on) w.props().state |= ws_visible;
  else w.props().state &= ~(ws_visible | ws_focused);
  desktop_of(vm).moved(w.self(), old);
  return a.done();
}

}  // namespace

void install_window_natives(Vm& vm) {
  constexpr vm::ClassId W = vm::cid_window;
  vm.set_native(W, 16, &get_x_size);
  vm.set_native(W, 17, &get_y_size);
  vm.set_native(W, 18, &get_x);
  vm.set_native(W, 19, &get_y);
  vm.set_native(W, 20, &clear);
  vm.set_native(W, 21, &fill_colour);
  vm.set_native(W, 22, &set_fg);
  vm.set_native(W, 23, &set_bg);
  vm.set_native(W, 24, &draw_string);
  vm.set_native(W, 25, &draw_image);
  vm.set_native(W, 26, &set_win_size);
  vm.set_native(W, 27, &set_win_position);
  vm.set_native(W, 28, &line);
  vm.set_native(W, 29, &box);
  vm.set_native(W, 30, &filled_box);
  vm.set_native(W, 31, &ellipse);
  vm.set_native(W, 32, &set_event_handler);
  vm.set_native(W, 33, &set_title);
  vm.set_native(W, 34, &update);
  vm.set_native(W, 35, &scroll_hor);
  vm.set_native(W, 36, &draw_image_part);
  vm.set_native(W, 37, &set_auto_update);
  vm.set_native(W, 38, &close);
  vm.set_native(W, 39, &next_event);
  vm.set_native(W, 40, &draw_text);
  vm.set_native(W, 41, &set_visible);
  vm.set_native(W, 42, &text_width);
  vm.set_native(W, 43, &poll_event);
  vm.set_native(W, 44, &event_handler);
}

}  // namespace phantom::ui
