// Desktop input (window system layer): the user's mouse and keys become focus, raise, drag, roll-up,
// close and task-bar actions, or events queued in the world for the window's program (desktop.h).
// Input that reached a world which crashed before its next commit was, for the world, never received
// (design rule 5): events are queued in the arena, so they are exactly as durable as the world.
#include <algorithm>

#include "ui/compositor.h"
#include "ui/desktop.h"

namespace phantom::ui {

void Desktop::inject(const host::InputEvent& event) {
  {
    std::lock_guard lock(input_mutex_);
    if (input_.size() >= 4096) return;  // a flood: the world cannot keep up; dropping is all that is sane
    input_.push_back(event);
    if (input_posted_) return;
    input_posted_ = true;
  }
  vm_.post([this] { drain_input(); });
}

void Desktop::drain_input() {
  std::deque<host::InputEvent> work;
  {
    std::lock_guard lock(input_mutex_);
    work.swap(input_);
    input_posted_ = false;
  }
  for (const host::InputEvent& e : work) {
    if (e.kind == host::InputEvent::Kind::mouse)
      handle_mouse(e);
    else
      handle_key(e);
  }
}

Ref Desktop::window_at(int x, int y, Rect* frame_out) const {
  Ref list = windows();
  if (!vm_.is_a(list, vm::cid_array)) return vm::raw_null;
  // Top first: on-top windows, then the others, each from the end of the list (subsystems.md §1.2).
  for (int pass = 0; pass < 2; ++pass)
    for (std::uint32_t i = vm_.array_size(list); i-- > 0;) {
      Ref win = vm_.array_get(list, i);
      WindowView w(vm_, win);
      if (!w.valid() || !w.visible() || ((w.props().flags & wf_on_top) != 0) != (pass == 0)) continue;
      Rect f = frame_of(w);
      if (!f.contains(x, y)) continue;
      if (frame_out) *frame_out = f;
      return win;
    }
  return vm::raw_null;
}

void Desktop::set_focus(Ref win) {
  Ref list = windows();
  if (!vm_.is_a(list, vm::cid_array)) return;
  for (std::uint32_t i = 0; i < vm_.array_size(list); ++i) {
    Ref other = vm_.array_get(list, i);
    WindowView o(vm_, other);
    if (!o.valid() || other == win || !(o.props().state & ws_focused)) continue;
    o.props().state &= ~ws_focused;
    push_event(other, {event_window, window_lost_focus});
    damage(title_bar(o.props()));
  }
  WindowView w(vm_, win);
  if (!w.valid() || (w.props().state & ws_focused)) return;
  w.props().state |= ws_focused;
  push_event(win, {event_window, window_got_focus});
  damage(title_bar(w.props()));
  if (config_.taskbar) damage(taskbar_rect(config_));
}

void Desktop::handle_mouse(const host::InputEvent& e) {
  int x = e.x, y = config_.height - 1 - e.y;  // to Phantom's bottom-left origin
  std::uint32_t pressed = e.buttons & ~last_buttons_, released = last_buttons_ & ~e.buttons;
  last_buttons_ = e.buttons;
  pointer_x_ = x;
  pointer_y_ = y;

  if (drag_window_ != vm::raw_null) {
    WindowView w(vm_, drag_window_);
    if (!w.valid()) {
      drag_window_ = vm::raw_null;
    } else if (e.buttons & host::mouse_left) {
      Rect old = frame_of(w);
      w.props().x = x - drag_dx_;
      w.props().y = y - drag_dy_;
      moved(drag_window_, old);
      return;
    } else {
      drag_window_ = vm::raw_null;
      return;
    }
  }

  if (pressed && taskbar_rect(config_).contains(x, y)) {
    for (const TaskbarButton& b : taskbar_buttons(vm_, windows(), config_)) {
      if (!b.rect.contains(x, y)) continue;
      WindowView w(vm_, b.window);
      Rect old = frame_of(w);
      // As the original's task-bar buttons: hide the active window, else show it and bring it up.
      if (w.visible() && (w.props().state & ws_focused)) {
        w.props().state &= ~ws_visible;
      } else {
        w.props().state |= ws_visible;
        raise(b.window);
        set_focus(b.window);
      }
      moved(b.window, old);
    }
    return;
  }
  if (taskbar_rect(config_).contains(x, y)) return;

  Rect frame;
  Ref win = window_at(x, y, &frame);
  if (win == vm::raw_null) return;
  WindowView w(vm_, win);
  WindowProps& p = w.props();
  Rect client = w.client();
  bool in_client = !(p.state & ws_rolled_up) && client.contains(x, y);
  if (pressed) {
    if (!(p.flags & wf_no_focus)) set_focus(win);
    if (!(p.flags & wf_background)) raise(win);
    if (!in_client && title_bar(p).contains(x, y) && (pressed & host::mouse_left)) {
      Rect old = frame_of(w);
      if (close_button(p).contains(x, y)) {
        // Program windows are hidden, not destroyed: the program learns it from the event, and the task
        // bar's button brings the window back (the original's close did nothing for them).
        p.state &= ~(ws_visible | ws_focused);
        push_event(win, {event_window, window_close});
        moved(win, old);
      } else if (rollup_button(p).contains(x, y)) {
        p.state ^= ws_rolled_up;
        moved(win, old);
      } else {
        drag_window_ = win;
        drag_dx_ = x - p.x;
        drag_dy_ = y - p.y;
      }
      return;
    }
  }
  if (!in_client) return;
  push_event(win, {event_mouse, x - p.x, y - p.y, static_cast<std::int32_t>(e.buttons),
                   static_cast<std::int32_t>(pressed), static_cast<std::int32_t>(released), e.wheel});
}

void Desktop::handle_key(const host::InputEvent& e) {
  Ref list = windows();
  if (!vm_.is_a(list, vm::cid_array)) return;
  for (std::uint32_t i = vm_.array_size(list); i-- > 0;) {
    Ref win = vm_.array_get(list, i);
    WindowView w(vm_, win);
    if (!w.valid() || !w.visible() || !(w.props().state & ws_focused)) continue;
    push_event(win, {event_key, static_cast<std::int32_t>(e.keysym), static_cast<std::int32_t>(e.character),
                     e.down ? 1 : 0, static_cast<std::int32_t>(e.modifiers)});
    return;
  }
}

void Desktop::push_event(Ref win, std::initializer_list<std::int32_t> fields) {
  WindowView w(vm_, win);
  if (!w.valid()) return;
  Ref queue = w.slot(win_events);
  if (!vm_.is_a(queue, vm::cid_array)) return;
  std::uint32_t n = vm_.array_size(queue);
  const std::int32_t* f = fields.begin();
  // A move with no button change replaces a move still waiting: a slow program sees where the mouse is.
  if (f[0] == event_mouse && f[4] == 0 && f[5] == 0 && f[6] == 0 && n > 0) {
    Ref last = vm_.array_get(queue, n - 1);
    if (vm_.is_a(last, vm::cid_array) && vm_.array_size(last) == 7 && vm_.int_of(vm_.array_get(last, 0)) == event_mouse &&
        vm_.int_of(vm_.array_get(last, 4)) == 0 && vm_.int_of(vm_.array_get(last, 5)) == 0 &&
        vm_.int_of(vm_.array_get(last, 6)) == 0 && vm_.array_get(last, 3) == vm_.new_int(f[3])) {
      vm_.array_set(last, 1, vm_.new_int(f[1]));
      vm_.array_set(last, 2, vm_.new_int(f[2]));
      return;
    }
  }
  if (n >= max_queued_events) {
    w.props().stalled = 1;
    return;
  }
  Ref event = vm_.new_array();
  for (std::int32_t v : fields) vm_.array_push(event, vm_.new_int(v));
  vm_.array_push(queue, event);
  auto it = waiting_.find(win);
  if (it != waiting_.end()) {
    for (Ref t : it->second)
      if (vm_.thread_data(t)->state == vm::ThreadState::wait_connection) vm_.make_runnable(t);
    waiting_.erase(it);
  }
  if (w.props().flags & wf_tty) vm_.wake_executor();  // getwc waits like console input
}

Ref Desktop::take_event(Ref win, bool keys_only) {
  WindowView w(vm_, win);
  Ref queue = w.slot(win_events);
  if (!vm_.is_a(queue, vm::cid_array)) return vm::raw_null;
  while (vm_.array_size(queue) > 0) {
    Ref e = vm_.array_get(queue, 0);
    vm_.array_remove(queue, e);
    if (!keys_only) return e;
    // getwc: a key press that types a character; everything before it is dropped.
    if (vm_.array_size(e) >= 4 && vm_.int_of(vm_.array_get(e, 0)) == event_key && vm_.int_of(vm_.array_get(e, 3)) == 1 &&
        vm_.int_of(vm_.array_get(e, 2)) != 0)
      return e;
  }
  return vm::raw_null;
}

vm::NativeOutcome Desktop::park_for_event(vm::NativeCall& call, Ref win) {
  vm_.thread_data(call.thread)->state = vm::ThreadState::wait_connection;
  waiting_[win].push_back(call.thread);
  return vm::NativeOutcome::blocked;
}

bool Desktop::start_event_pump(Ref win, std::string& error) {
  WindowView w(vm_, win);
  Ref pump_thread = w.slot(win_pump);
  if (vm_.is_a(pump_thread, vm::cid_thread) && vm_.thread_data(pump_thread)->state != vm::ThreadState::finished) return true;
  auto cls = vm_.lookup_class(".phantom.ui.event_pump");
  if (!cls.ok()) {
    error = "setEventHandler: the class library's .phantom.ui.event_pump is not on the class path: " + cls.error().message;
    return false;
  }
  Ref klass = cls.value();
  vm::ClassData* cd = vm_.class_data(klass);
  std::uint32_t ordinal = 0;
  for (std::uint32_t i = 0; i < cd->method_slots && vm_.is_a(cd->method_names, vm::cid_page); ++i) {
    Ref name = vm_.page_refs(cd->method_names)[i];
    if (vm_.is_a(name, vm::cid_string) && vm_.string_of(name) == "run") ordinal = i;
  }
  Ref pump = vm_.new_instance(klass);
  Ref t = ordinal ? vm_.start_thread(pump, ordinal, win, "events of window '" + std::string(w.title()) + "'") : vm::raw_null;
  if (t == vm::raw_null) {
    error = "setEventHandler: .phantom.ui.event_pump has no method run";
    return false;
  }
  w.set_slot(win_pump, t);
  return true;
}

}  // namespace phantom::ui
