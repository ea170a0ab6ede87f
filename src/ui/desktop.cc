// Desktop (window system layer): windows on the desktop, dirty rectangles and composition. Input is in
// desktop_input.cc.
#include "ui/desktop.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <future>

#include "ui/compositor.h"
#include "ui/image.h"
#include "ui/natives.h"

namespace phantom::ui {
namespace {

void window_constructor(vm::Vm& vm, Ref obj) { desktop_of(vm).make_window(obj, false); }
void tty_constructor(vm::Vm& vm, Ref obj) { desktop_of(vm).make_window(obj, true); }

}  // namespace

Desktop::Desktop(vm::Vm& vm, const DesktopConfig& config) : vm_(vm), config_(config) {
  vm_.set_extension(vm::Vm::ext_ui, this);
  vm_.set_constructor(vm::cid_window, &window_constructor);
  vm_.set_constructor(vm::cid_tty, &tty_constructor);
  install_window_natives(vm_);
  install_bitmap_natives(vm_);
  install_tty_natives(vm_);
  install_font_natives(vm_);
}

Desktop::~Desktop() {
  if (display_) display_->on_input(nullptr);
  {
    std::lock_guard lock(clock_mutex_);
    clock_stop_ = true;
  }
  clock_cv_.notify_all();
  if (clock_thread_.joinable()) clock_thread_.join();
  vm_.set_extension(vm::Vm::ext_ui, nullptr);
  vm_.set_constructor(vm::cid_window, nullptr);
  vm_.set_constructor(vm::cid_tty, nullptr);
}

void Desktop::attach_display(std::unique_ptr<host::Display> display) {
  display_ = std::move(display);
  if (!display_) return;
  config_.width = display_->width();
  config_.height = display_->height();
  display_->on_input([this](const host::InputEvent& e) { inject(e); });
}

std::string Desktop::description() const { return display_ ? display_->description() : "no display"; }

void Desktop::start() {
  if (!display_) return;
  damage({0, 0, config_.width, config_.height});
  if (config_.taskbar && config_.clock) {
    // The clock changes once a minute: only its corner of the task bar is composed again.
    clock_thread_ = std::thread([this] {
      std::unique_lock lock(clock_mutex_);
      while (!clock_cv_.wait_for(lock, std::chrono::seconds(1), [this] { return clock_stop_; })) {
        std::string now = clock_text();
        if (now == last_clock_) continue;
        vm_.post([this] { damage({config_.width - 90, 0, 90, taskbar_height}); });
      }
    });
  }
}

std::string Desktop::clock_text() {
  if (!config_.clock || !config_.taskbar) return "";
  std::time_t t = std::time(nullptr);
  std::tm local{};
  localtime_r(&t, &local);
  char text[8];
  std::strftime(text, sizeof text, "%H:%M", &local);
  return text;
}

void Desktop::init_window(Ref obj, int x, int y, int width, int height, std::string_view title_text,
                          std::uint32_t flags, std::uint32_t bg) {
  WindowView w(vm_, obj);
  // Every allocation first: OutOfMemory makes the VM retry the whole `new`, and the half-made object is garbage.
  Ref props = vm_.new_binary(sizeof(WindowProps));
  Ref pixels = vm_.new_binary(static_cast<std::uint32_t>(width) * static_cast<std::uint32_t>(height) * 4);
  Ref title = vm_.new_string(title_text);
  Ref events = vm_.new_array();
  Ref list = windows();
  if (!vm_.is_a(list, vm::cid_array)) {
    list = vm_.new_array();
    vm_.set_root_slot(vm::root_windows, list);
  }
  vm_.array_push(list, obj);
  for (std::uint32_t s = 0; s < window_slots; ++s) w.set_slot(static_cast<WindowSlot>(s), vm_.null_object());
  w.set_slot(win_props, props);
  w.set_slot(win_pixels, pixels);
  w.set_slot(win_title, title);
  w.set_slot(win_events, events);
  WindowProps& p = w.props();
  p = WindowProps{};
  p.magic = window_magic;
  p.x = x;
  p.y = y;
  p.width = width;
  p.height = height;
  p.flags = flags;
  p.state = ws_visible;
  p.fg = 0xFF000000u;
  p.bg = bg;
  p.autoupdate = 1;
  p.text = TextState{};
  Canvas c = w.canvas();
  fill(c, p.bg);
  raise(obj);
}

void Desktop::make_window(Ref obj, bool tty) {
  init_window(obj, 100, 100, default_window_width, default_window_height, tty ? "VM TTY Window" : "Window",
              wf_decorated | (tty ? std::uint32_t(wf_tty) : 0u), 0xFFFFFFFFu);
}

Rect Desktop::frame_of(const WindowView& w) const { return window_frame(w.props()); }

void Desktop::drew(Ref win, Rect r, bool show_now) {
  if (!display_ || r.empty()) return;
  Rect& pending = pending_[win];
  pending = pending.unite(r);
  if (show_now) show_pending(win);
}

void Desktop::show_pending(Ref win) {
  auto it = pending_.find(win);
  if (it == pending_.end()) return;
  WindowView w(vm_, win);
  Rect r = it->second;
  pending_.erase(it);
  if (!w.valid() || !w.visible() || (w.props().state & ws_rolled_up)) return;
  damage(r.intersect({0, 0, w.props().width, w.props().height}).moved(w.props().x, w.props().y));
}

void Desktop::moved(Ref win, Rect old_frame) {
  damage(old_frame);
  WindowView w(vm_, win);
  if (w.valid() && w.visible()) damage(frame_of(w));
  if (config_.taskbar) damage(taskbar_rect(config_));  // titles and visibility show on the task bar
}

void Desktop::move_to(Ref win, std::int32_t x, std::int32_t y) {
  WindowView w(vm_, win);
  // Far enough to hide a window, never so far that its rectangle's arithmetic overflows.
  constexpr std::int32_t limit = 1 << 20;
  Rect old = frame_of(w);
  w.props().x = std::clamp(x, -limit, limit);
  w.props().y = std::clamp(y, -limit, limit);
  moved(win, old);
}

void Desktop::set_title(Ref win, std::string_view s) {
  constexpr std::size_t max_title = 256;
  if (s.size() > max_title) {
    s = s.substr(0, max_title);
    while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.remove_suffix(1);  // no half character
    if (!s.empty() && static_cast<unsigned char>(s.back()) >= 0xC0) s.remove_suffix(1);
  }
  Ref title = vm_.new_string(s);
  WindowView w(vm_, win);
  w.set_slot(win_title, title);
  moved(win, frame_of(w));
}

void Desktop::raise(Ref win) {
  Ref list = windows();
  WindowView w(vm_, win);
  if (!vm_.is_a(list, vm::cid_array) || !w.valid()) return;
  vm_.array_remove(list, win);
  std::uint32_t n = vm_.array_size(list);
  std::uint32_t at = 0;
  if (w.props().flags & wf_background) {
    at = 0;
  } else if (w.props().flags & wf_on_top) {
    at = n;
  } else {
    // Just above the highest window without the on-top flag (subsystems.md §1.2).
    for (std::uint32_t i = 0; i < n; ++i) {
      WindowView o(vm_, vm_.array_get(list, i));
      if (!o.valid() || !(o.props().flags & wf_on_top)) at = i + 1;
    }
  }
  vm_.array_push(list, win);  // grows the array first (may throw OutOfMemory before anything moved)
  for (std::uint32_t i = n; i > at; --i) vm_.array_set(list, i, vm_.array_get(list, i - 1));
  vm_.array_set(list, at, win);
  damage(frame_of(w));
  if (config_.taskbar) damage(taskbar_rect(config_));
}

void Desktop::close(Ref win) {
  Ref list = windows();
  WindowView w(vm_, win);
  if (!vm_.is_a(list, vm::cid_array) || !w.valid()) return;
  Rect old = frame_of(w);
  vm_.array_remove(list, win);
  pending_.erase(win);
  if (drag_window_ == win) drag_window_ = vm::raw_null;
  w.props().state &= ~(ws_visible | ws_focused);
  damage(old);
  if (config_.taskbar) damage(taskbar_rect(config_));
}

void Desktop::set_background(const ConstCanvas& picture) {
  Ref list = windows();
  Ref bg = vm::raw_null;
  if (vm_.is_a(list, vm::cid_array) && vm_.array_size(list) > 0) {
    Ref first = vm_.array_get(list, 0);
    WindowView w(vm_, first);
    if (w.valid() && (w.props().flags & wf_background) && w.props().width == config_.width &&
        w.props().height == config_.height)
      bg = first;
  }
  if (bg == vm::raw_null) {
    // A window the size of the screen, without decorations, always at the bottom.
    bg = vm_.alloc(vm_.internal_class(vm::cid_window), vm::flag_internal, vm::Kind::refs, window_slots * sizeof(Ref));
    init_window(bg, 0, 0, config_.width, config_.height, "Desktop", wf_background | wf_no_focus, opaque(desktop_colour));
  }
  WindowView w(vm_, bg);
  Canvas c = w.canvas();
  copy_rect(c, 0, 0, picture, 0, 0, picture.width, picture.height);
  damage({0, 0, config_.width, config_.height});
}

void Desktop::damage(Rect r) {
  if (!display_) return;
  r = r.intersect({0, 0, config_.width, config_.height});
  if (r.empty()) return;
  for (Rect& d : damage_)
    if (!d.intersect(r).empty() || d.unite(r) == d) {
      d = d.unite(r);
      r = {};
      break;
    }
  if (!r.empty()) damage_.push_back(r);
  if (damage_.size() > 16) {  // many small pieces: one rectangle is cheaper to track than to compose apart
    Rect all;
    for (const Rect& d : damage_) all = all.unite(d);
    damage_.assign(1, all);
  }
  if (!compose_posted_) {
    compose_posted_ = true;
    vm_.post([this] { compose_now(); });
  }
}

void Desktop::compose_now() {
  compose_posted_ = false;
  if (!display_ || damage_.empty()) return;
  std::vector<Rect> work = std::move(damage_);
  damage_.clear();
  std::string clock = clock_text();
  last_clock_ = clock;
  Ref list = windows();
  if (!vm_.is_a(list, vm::cid_array)) list = vm_.new_array();  // no window yet: the bare desktop
  for (const Rect& r : work) {
    scratch_.resize(static_cast<std::size_t>(r.w) * r.h);
    Canvas out{scratch_.data(), r.w, r.h};
    compose(vm_, list, config_, r, out, clock);
    {
      std::lock_guard lock(display_->frame_mutex());
      std::uint32_t* frame = display_->frame();
      for (int row = 0; row < r.h; ++row) {
        int screen_y = r.y + row;
        std::uint32_t* dst = frame + static_cast<std::size_t>(config_.height - 1 - screen_y) * config_.width + r.x;
        const std::uint32_t* src = out.row(row);
        for (int i = 0; i < r.w; ++i) dst[i] = src[i] & 0x00FFFFFFu;
      }
    }
    display_->frame_changed(r.x, config_.height - r.y - r.h, r.w, r.h);
  }
}

Result<std::string> Desktop::screenshot_png() {
  if (!display_)
    return make_error(Errc::invalid_argument, "this world runs without a display: start it with --display headless (or vnc, sdl)");
  std::vector<std::uint32_t> up(static_cast<std::size_t>(config_.width) * config_.height);
  {
    std::lock_guard lock(display_->frame_mutex());
    const std::uint32_t* frame = display_->frame();
    for (int y = 0; y < config_.height; ++y) {
      const std::uint32_t* src = frame + static_cast<std::size_t>(config_.height - 1 - y) * config_.width;
      std::uint32_t* dst = up.data() + static_cast<std::size_t>(y) * config_.width;
      for (int x = 0; x < config_.width; ++x) dst[x] = src[x] | 0xFF000000u;
    }
  }
  return encode_png(ConstCanvas(up.data(), config_.width, config_.height), false);
}

bool Desktop::wait_composed(int timeout_ms) {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> ready = done->get_future();
  // Posted tasks run in order: input queued before this call is handled, then what it drew is composed.
  vm_.post([this, done] {
    drain_input();
    compose_now();
    done->set_value();
  });
  return ready.wait_for(std::chrono::milliseconds(timeout_ms)) == std::future_status::ready;
}

}  // namespace phantom::ui
