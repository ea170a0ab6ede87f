// Compositor: draws the desktop — background, windows bottom to top with their decorations, the task
// bar — into a host-side frame (window system layer). Reads window objects, never writes them.
//
// Geometry (subsystems.md §1.2, bottom-left origin): a decorated window has a 3-pixel border around its
// client area and a title bar 37 pixels high above it (the title's width is the client's + 6), with a
// close and a roll-up button, 31x31, at its right end. The task bar is 47 pixels high along the bottom
// of the screen, above every window.
#pragma once

#include <string>
#include <vector>

#include "ui/canvas.h"
#include "ui/window_object.h"

namespace phantom::ui {

struct DesktopConfig;

constexpr int border_width = 3, title_height = 37, button_size = 31, taskbar_height = 47;
constexpr std::uint32_t desktop_colour = 0xFF1E2A38;

Rect window_frame(const WindowProps& p);  // client plus decorations (just the client when undecorated)
Rect title_bar(const WindowProps& p);     // empty when undecorated
Rect close_button(const WindowProps& p);
Rect rollup_button(const WindowProps& p);

struct TaskbarButton {
  Rect rect;
  Ref window;
};
// The task bar's buttons, one per decorated window (in list order), as drawn.
std::vector<TaskbarButton> taskbar_buttons(vm::Vm& vm, Ref windows, const DesktopConfig& config);
Rect taskbar_rect(const DesktopConfig& config);

// Composes the screen rectangle `area` into `out` (area.w x area.h pixels, bottom row first).
// `clock` is the task bar's clock text ("" for none).
void compose(vm::Vm& vm, Ref windows, const DesktopConfig& config, Rect area, Canvas& out, const std::string& clock);

}  // namespace phantom::ui
