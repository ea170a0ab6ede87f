// Argument checks shared by the window system's natives (window system layer). A program that passes
// the wrong thing gets a Phantom exception naming the method and the argument, never a crash.
#pragma once

#include <cstdint>
#include <string_view>

#include <fmt/format.h>

#include "ui/window_object.h"
#include "vm/vm.h"

namespace phantom::ui {

struct Args {
  vm::Vm& vm;
  vm::NativeCall& c;
  const char* method;
  vm::NativeOutcome out = vm::NativeOutcome::value;

  // False (with `out` set to the thrown message) when there are fewer than `n` arguments.
  bool count(std::uint32_t n) {
    if (c.nargs >= n) return true;
    out = vm.throw_string(c, fmt::format("{}: takes {} argument(s)", method, n));
    return false;
  }
  bool integer(std::uint32_t k, std::int32_t& v) {
    if (vm.is_int(c.args[k])) {
      v = vm.int_of(c.args[k]);
      return true;
    }
    out = vm.throw_string(c, fmt::format("{}: argument {} must be an int", method, k + 1));
    return false;
  }
  bool string(std::uint32_t k, std::string_view& v) {
    if (vm.is_a(c.args[k], vm::cid_string)) {
      v = vm.string_of(c.args[k]);
      return true;
    }
    out = vm.throw_string(c, fmt::format("{}: argument {} must be a string", method, k + 1));
    return false;
  }
  // The receiver as a window (a TTY is one too).
  bool window(WindowView& w) {
    if (w.valid()) return true;
    out = vm.throw_string(c, fmt::format("{}: this window was made by an older Phantom or is damaged; make a new one", method));
    return false;
  }
  vm::NativeOutcome done() { return c.ret(vm.null_object()); }
};

// The pixels of a `.internal.bitmap` argument, or false with the message thrown.
bool bitmap_arg(Args& a, std::uint32_t k, ConstCanvas& out);

}  // namespace phantom::ui
