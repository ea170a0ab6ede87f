// The native classes of the window system (window system layer): installed by the Desktop.
#pragma once

#include "vm/vm.h"

namespace phantom::ui {

void install_window_natives(vm::Vm& vm);  // window_natives.cc: .internal.window
void install_bitmap_natives(vm::Vm& vm);  // bitmap_natives.cc: .internal.bitmap, boot setScreenBackground
void install_tty_natives(vm::Vm& vm);     // tty_natives.cc: .internal.io.tty in a window
void install_font_natives(vm::Vm& vm);    // font_natives.cc: .internal.ui.font

}  // namespace phantom::ui
