// .internal.io.tty in a window (window system layer, subsystems.md §2.1). A TTY is a window with a
// text cursor: putws draws at the cursor with the TTY rules (ui/text.h) and, as the original's headless
// log mirror, writes the text to the console too, so programs and their tests see their output on
// stdout whether or not a display is attached. getwc returns a key typed into the TTY's window, or a
// byte of console input, whichever comes first; "" at the end of console input, unless a display is
// attached (then keys may still be typed into the window). Keys from the window are echoed there and on
// stdout, but for BackSpace ("\b"), which the program erases. A TTY made by an older Phantom (no
// window) keeps working as a console only.
//   16 getwc; 17 putws(s); 18 debug(o); 19 gotoxy(col, row); 20 clear; 21 setcolor(fg: ours, the original
//   ignored it); 22 fill, 23 putblock: "not implemented" as the original; 24 moveWindow(x, y);
//   25 setTitle(s); 26 setbgcolor(c).
#include "ui/desktop.h"
#include "ui/native_args.h"
#include "ui/natives.h"

namespace phantom::ui {
namespace {

using vm::NativeCall;
using vm::NativeOutcome;
using vm::Vm;

constexpr std::size_t max_putws = 1024;  // bytes drawn per call, as the original (the console gets all)

std::string utf8(char32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x110000) {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

// To stdout, and into the TTY's window when it has one.
void tty_write(Vm& vm, const WindowView& w, std::string_view s) {
  vm.console().write_output(s);
  if (!w.valid()) return;
  Canvas canvas = w.canvas();
  Rect r = draw_tty_text(canvas, w.props().text, s.substr(0, max_putws));
  desktop_of(vm).drew(w.self(), r, true);
}

NativeOutcome getwc(Vm& vm, NativeCall& c) {
  WindowView w(vm, c.self);
  if (w.valid()) {
    Ref key = desktop_of(vm).take_event(w.self(), true);
    if (key != vm::raw_null) {
      char32_t cp = static_cast<char32_t>(vm.int_of(vm.array_get(key, 2)));
      if (cp == '\r') cp = '\n';
      if (cp == 0x7F) cp = '\b';
      std::string typed = utf8(cp);
      // Echoed as a terminal in cooked mode echoes, on the screen and on stdout; BackSpace is the
      // program's to handle (the shell erases with "\b \b"), since only it knows where its line begins.
      // Other control characters are not echoed: ESC would start an escape sequence in the window.
      if (cp == '\n' || cp == '\t' || (cp >= 0x20 && cp != 0x7F)) tty_write(vm, w, typed);
      return c.ret(vm.new_string(typed));
    }
  }
  int ch = vm.console().poll_input();
  // The end of console input ends a TTY's input only when nobody can type into its window: a desktop
  // started with stdin at its end (a service, `</dev/null`) still takes keys there.
  bool keys_may_come = w.valid() && desktop_of(vm).display() != nullptr;
  if (ch == vm::Console::input_none || (ch == vm::Console::input_eof && keys_may_come)) {
    vm.thread_data(c.thread)->state = vm::ThreadState::wait_input;  // woken by console input and by keys
    return NativeOutcome::blocked;
  }
  if (ch == vm::Console::input_eof) return c.ret(vm.new_string(""));
  char byte = static_cast<char>(ch);
  return c.ret(vm.new_string(std::string_view(&byte, 1)));
}

NativeOutcome putws(Vm& vm, NativeCall& c) {
  Args a{vm, c, "tty.putws"};
  std::string_view s;
  if (!a.count(1) || !a.string(0, s)) return a.out;
  tty_write(vm, WindowView(vm, c.self), s);
  return a.done();
}

NativeOutcome debug(Vm& vm, NativeCall& c) {
  Args a{vm, c, "tty.debug"};
  if (!a.count(1)) return a.out;
  vm.console().write_diagnostic(fmt::format("phantom: tty debug: {}\n", vm.to_display(c.args[0])));
  return a.done();
}

NativeOutcome gotoxy(Vm& vm, NativeCall& c) {
  Args a{vm, c, "tty.gotoxy"};
  std::int32_t col, row;
  if (!a.count(2) || !a.integer(0, col) || !a.integer(1, row)) return a.out;
  WindowView w(vm, c.self);
  if (!w.valid()) return a.done();
  // Row 0 is the bottom line (subsystems.md §2.1); the cursor stays inside the window.
  w.props().text.x = std::clamp(col, 0, std::max(0, w.props().width / cell_width - 1)) * cell_width;
  w.props().text.y = std::clamp(row, 0, std::max(0, w.props().height / cell_height - 1)) * cell_height;
  return a.done();
}

NativeOutcome clear(Vm& vm, NativeCall& c) {
  Args a{vm, c, "tty.clear"};
  WindowView w(vm, c.self);
  if (!w.valid()) return a.done();
  Canvas canvas = w.canvas();
  w.props().text.x = w.props().text.y = 0;
  desktop_of(vm).drew(w.self(), fill(canvas, w.props().text.bg), true);
  return a.done();
}

NativeOutcome set_colour(Vm& vm, NativeCall& c, bool background) {
  Args a{vm, c, background ? "tty.setbgcolor" : "tty.setcolor"};
  std::int32_t colour;
  if (!a.count(1) || !a.integer(0, colour)) return a.out;
  WindowView w(vm, c.self);
  if (!w.valid()) return a.done();
  TextState& t = w.props().text;
  auto v = static_cast<std::uint32_t>(colour);
  if (background) t.bg = t.default_bg = w.props().bg = v;
  else t.fg = t.default_fg = w.props().fg = v;
  return a.done();
}
NativeOutcome set_fg(Vm& vm, NativeCall& c) { return set_colour(vm, c, false); }
NativeOutcome set_bg(Vm& vm, NativeCall& c) { return set_colour(vm, c, true); }

NativeOutcome move_window(Vm& vm, NativeCall& c) {
  Args a{vm, c, "tty.moveWindow"};
  std::int32_t x, y;
  if (!a.count(2) || !a.integer(0, x) || !a.integer(1, y)) return a.out;
  WindowView w(vm, c.self);
  if (w.valid()) desktop_of(vm).move_to(w.self(), x, y);
  return a.done();
}

NativeOutcome set_title(Vm& vm, NativeCall& c) {
  Args a{vm, c, "tty.setTitle"};
  std::string_view s;
  if (!a.count(1) || !a.string(0, s)) return a.out;
  WindowView w(vm, c.self);
  if (w.valid()) desktop_of(vm).set_title(w.self(), s);
  return a.done();
}

}  // namespace

void install_tty_natives(Vm& vm) {
  constexpr vm::ClassId T = vm::cid_tty;
  vm.set_native(T, 16, &getwc);
  vm.set_native(T, 17, &putws);
  vm.set_native(T, 18, &debug);
  vm.set_native(T, 19, &gotoxy);
  vm.set_native(T, 20, &clear);
  vm.set_native(T, 21, &set_fg);
  vm.set_native(T, 24, &move_window);
  vm.set_native(T, 25, &set_title);
  vm.set_native(T, 26, &set_bg);
}

}  // namespace phantom::ui
