// The natives a lean build leaves out (system layer, lean.h): each throws an exception saying so, in
// place of the VM's generic "not available yet". The ordinals are those that ui/*_natives.cc and
// wasm/wasm_natives.cc install in a full build; the others keep the VM's behaviour.
#include "system/lean.h"

#include <fmt/format.h>

#include "vm/objects.h"
#include "vm/vm.h"

namespace phantom::system {
namespace {

vm::NativeOutcome no_windows(vm::Vm& vm, vm::NativeCall& c) {
  return vm.throw_string(c, fmt::format("{}: {}", vm.class_name(vm.class_of(c.self)), lean_no_windows));
}
vm::NativeOutcome no_screen_background(vm::Vm& vm, vm::NativeCall& c) {
  return vm.throw_string(c, fmt::format("setScreenBackground: {}", lean_no_windows));
}
vm::NativeOutcome no_wasm(vm::Vm& vm, vm::NativeCall& c) {
  return vm.throw_string(c, fmt::format("{}: {}", vm.class_name(vm.class_of(c.self)), lean_no_wasm));
}

}  // namespace

void install_lean_natives(vm::Vm& vm) {
  for (std::uint32_t i = 16; i <= 44; ++i) vm.set_native(vm::cid_window, i, &no_windows);  // window_natives.cc
  for (std::uint32_t i = 8; i <= 11; ++i) vm.set_native(vm::cid_bitmap, i, &no_windows);   // bitmap_natives.cc
  vm.set_native(vm::cid_boot, 20, &no_screen_background);
  for (std::uint32_t i = 16; i <= 21; ++i) vm.set_native(vm::cid_ui_font, i, &no_windows);  // font_natives.cc
  for (std::uint32_t i = 8; i <= 14; ++i) vm.set_native(vm::cid_wasm, i, &no_wasm);         // wasm_natives.cc
}

}  // namespace phantom::system
