// Compositor (window system layer): see compositor.h. Everything is drawn with the canvas primitives
// into a scratch canvas that covers exactly the area being composed, offset by the area's corner, so
// clipping to the area is the primitives' own clipping.
#include "ui/compositor.h"

#include "ui/desktop.h"
#include "ui/text.h"

namespace phantom::ui {
namespace {

constexpr std::uint32_t border_colour = 0xFF7D8590, border_light = 0xFFB8BEC6;
constexpr std::uint32_t title_focused = 0xFFE9DCB5, title_unfocused = 0xFFC9D2DE;  // warm beige, pale blue-grey
constexpr std::uint32_t title_text = 0xFF101010, button_face = 0xFFF4F1EA, button_mark = 0xFF303030;
constexpr std::uint32_t taskbar_face = 0xFFEDE5D0, taskbar_line = 0xFFB5AC92, taskbar_pressed = 0xFFD2C7A8;
constexpr int title_font = 15, taskbar_font = 13;

Typeface face(bool bold) { return bold ? Typeface::sans_bold : Typeface::sans; }

// Drawing in screen coordinates onto the scratch canvas of `area`.
struct Painter {
  Canvas& out;
  Rect area;
  void box(Rect r, std::uint32_t c) { fill_box(out, r.x - area.x, r.y - area.y, r.w, r.h, c); }
  void outline(Rect r, std::uint32_t c) { draw_box(out, r.x - area.x, r.y - area.y, r.w, r.h, c); }
  void line(int x, int y, int dx, int dy, std::uint32_t c) { draw_line(out, x - area.x, y - area.y, dx, dy, c); }
  void text(int x, int baseline, const std::string& s, int size, std::uint32_t c, bool bold) {
    draw_truetype(out, x - area.x, baseline - area.y, s, size, c, face(bold));
  }
  void pixels(Rect client, const ConstCanvas& src) {
    Rect vis = client.intersect(area);
    if (vis.empty()) return;
    copy_rect(out, vis.x - area.x, vis.y - area.y, src, vis.x - client.x, vis.y - client.y, vis.w, vis.h, true);
  }
};

// `text` shortened with "..." until it fits `width` pixels.
std::string fitted(std::string text, int width, int size, bool bold) {
  if (truetype_width(text, size, face(bold)) <= width) return text;
  while (!text.empty()) {
    text.pop_back();
    while (!text.empty() && (static_cast<unsigned char>(text.back()) & 0xC0) == 0x80) text.pop_back();  // whole UTF-8 characters
    if (truetype_width(text + "...", size, face(bold)) <= width) return text + "...";
  }
  return "";
}

void draw_button(Painter& p, Rect r, bool close) {
  p.box(r, button_face);
  p.outline(r, border_colour);
  int cx = r.x + r.w / 2, cy = r.y + r.h / 2;
  if (close) {
    for (int d = -1; d <= 1; ++d) {
      p.line(cx - 7 + d, cy - 7, 14, 14, button_mark);
      p.line(cx - 7 + d, cy + 7, 14, -14, button_mark);
    }
  } else {
    p.box({cx - 7, cy - 2, 15, 4}, button_mark);
  }
}

void draw_window(Painter& p, vm::Vm& vm, const WindowView& w) {
  const WindowProps& props = w.props();
  if (!(props.state & ws_visible)) return;
  Rect frame = window_frame(props);
  if (frame.intersect(p.area).empty()) return;
  bool rolled = props.state & ws_rolled_up;
  if (props.flags & wf_decorated) {
    Rect bar = title_bar(props);
    bool focused = props.state & ws_focused;
    p.box(bar, focused ? title_focused : title_unfocused);
    p.outline(bar, border_colour);
    p.line(bar.x + 1, bar.y + bar.h - 2, bar.w - 3, 0, border_light);
    int text_room = rollup_button(props).x - bar.x - 14;
    p.text(bar.x + 10, bar.y + 13, fitted(std::string(w.title()), text_room, title_font, true), title_font, title_text, true);
    draw_button(p, close_button(props), true);
    draw_button(p, rollup_button(props), false);
    if (!rolled) {
      Rect c = w.client();
      p.box({c.x - border_width, c.y - border_width, border_width, c.h + border_width}, border_colour);
      p.box({c.x + c.w, c.y - border_width, border_width, c.h + border_width}, border_colour);
      p.box({c.x, c.y - border_width, c.w, border_width}, border_colour);
    }
  }
  (void)vm;
  if (!rolled) p.pixels(w.client(), ConstCanvas(w.canvas()));
}

}  // namespace

Rect window_frame(const WindowProps& p) {
  if (!(p.flags & wf_decorated)) return {p.x, p.y, p.width, p.height};
  if (p.state & ws_rolled_up) return title_bar(p);
  return {p.x - border_width, p.y - border_width, p.width + 2 * border_width, p.height + border_width + title_height};
}

Rect title_bar(const WindowProps& p) {
  if (!(p.flags & wf_decorated)) return {};
  return {p.x - border_width, p.y + p.height, p.width + 2 * border_width, title_height};
}

Rect close_button(const WindowProps& p) {
  Rect bar = title_bar(p);
  if (bar.empty()) return {};
  return {bar.x + bar.w - border_width - button_size, bar.y + border_width, button_size, button_size};
}

Rect rollup_button(const WindowProps& p) {
  Rect c = close_button(p);
  return c.empty() ? c : c.moved(-button_size - 2, 0);
}

Rect taskbar_rect(const DesktopConfig& config) {
  return config.taskbar ? Rect{0, 0, config.width, taskbar_height} : Rect{};
}

std::vector<TaskbarButton> taskbar_buttons(vm::Vm& vm, Ref windows, const DesktopConfig& config) {
  std::vector<TaskbarButton> out;
  if (!config.taskbar) return out;
  int x = 96;
  const int width = 150, right_end = config.width - 90;
  for (std::uint32_t i = 0; i < vm.array_size(windows); ++i) {
    Ref win = vm.array_get(windows, i);
    WindowView w(vm, win);
    if (!w.valid() || !(w.props().flags & wf_decorated)) continue;
    if (x + width > right_end) break;
    out.push_back({{x, 5, width, 37}, win});
    x += width + 4;
  }
  return out;
}

void compose(vm::Vm& vm, Ref windows, const DesktopConfig& config, Rect area, Canvas& out, const std::string& clock) {
  Painter p{out, area};
  p.box(area, desktop_colour);
  std::uint32_t n = vm.array_size(windows);
  // Two passes keep windows with the on-top flag above the others whatever the list order.
  for (int pass = 0; pass < 2; ++pass)
    for (std::uint32_t i = 0; i < n; ++i) {
      WindowView w(vm, vm.array_get(windows, i));
      if (!w.valid() || ((w.props().flags & wf_on_top) != 0) != (pass == 1)) continue;
      draw_window(p, vm, w);
    }
  Rect bar = taskbar_rect(config);
  if (bar.empty() || bar.intersect(area).empty()) return;
  p.box(bar, taskbar_face);
  p.line(0, bar.h - 1, bar.w, 0, taskbar_line);
  p.line(0, bar.h - 2, bar.w, 0, 0xFFFFFFFF);
  Rect start{5, 5, 82, 37};
  p.box(start, button_face);
  p.outline(start, border_colour);
  p.text(start.x + 10, start.y + 13, "Phantom", taskbar_font, title_text, true);
  for (const TaskbarButton& b : taskbar_buttons(vm, windows, config)) {
    WindowView w(vm, b.window);
    bool active = (w.props().state & ws_focused) && w.visible();
    p.box(b.rect, active ? taskbar_pressed : button_face);
    p.outline(b.rect, border_colour);
    p.text(b.rect.x + 8, b.rect.y + 13, fitted(std::string(w.title()), b.rect.w - 16, taskbar_font, false), taskbar_font,
           w.visible() ? title_text : 0xFF707070, false);
  }
  if (!clock.empty()) p.text(config.width - 70, 18, clock, taskbar_font + 3, title_text, true);
}

}  // namespace phantom::ui
