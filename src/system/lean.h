// What a lean build leaves out (system layer). `cmake -DPHANTOM_LEAN=ON` builds a small phantom for
// IoT devices without the window system (ui/), WebAssembly (wasm/) and the language compiler (plc/);
// classes are compiled on a development machine and copied to the device. Whatever needs a left-out
// part says so clearly: the natives throw (lean_natives.cc), the command line prints and exits 1.
#pragma once

namespace phantom::vm {
class Vm;
}

namespace phantom::system {

#ifdef PHANTOM_LEAN
inline constexpr bool lean_build = true;
#else
inline constexpr bool lean_build = false;
#endif

// The messages, after "phantom: " on the command line and after the class's name in an exception.
inline constexpr const char* lean_no_wasm = "this build leaves out WebAssembly (built with PHANTOM_LEAN)";
inline constexpr const char* lean_no_windows = "this build leaves out the window system (built with PHANTOM_LEAN)";
inline constexpr const char* lean_no_compiler =
    "this build leaves out the Phantom language compiler (built with PHANTOM_LEAN): compile the classes with a full "
    "phantom and copy the class files here";

#ifdef PHANTOM_LEAN
// The natives of .internal.window, .internal.bitmap, .internal.ui.font, boot.setScreenBackground and
// .internal.wasm: each call throws lean_no_windows or lean_no_wasm. .internal.io.tty keeps the VM's
// console TTY (putws to stdout, getwc from stdin; cursor, colours and window calls do nothing), so
// that a console program such as the shell runs as it does without a display.
void install_lean_natives(vm::Vm& vm);
#endif

}  // namespace phantom::system
