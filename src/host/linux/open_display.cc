// open_display: checks a DisplayConfig and opens the back-end it names (host layer). The checks that
// hold for every back-end live here; each back-end checks its own settings (vnc: address, port,
// password file).
// May call: Linux (the environment), the back-ends in this directory.
#include <cstdlib>

#include "host/display.h"

namespace phantom::host {
namespace {

constexpr int min_side = 64, max_side = 8192;

bool set(const char* variable) {
  const char* value = std::getenv(variable);
  return value && *value;
}

}  // namespace

Result<std::unique_ptr<Display>> open_display(const DisplayConfig& config) {
  const std::string& kind = config.kind;
  if (kind == "none")
    return make_error(Errc::invalid_argument, "--display none: there is no display to open; use headless, vnc or sdl");
  if (kind != "headless" && kind != "vnc" && kind != "sdl")
    return make_error(Errc::invalid_argument, "--display {}: unknown display; use none, headless, vnc or sdl", kind);
  if (config.width < min_side || config.width > max_side || config.height < min_side || config.height > max_side)
    return make_error(Errc::invalid_argument, "--display {}: a size of {}x{} is out of range; width and height must be {} to {}",
                      kind, config.width, config.height, min_side, max_side);

  if (kind == "headless") return open_headless_display(config);
  if (kind == "vnc") return open_vnc_display(config);
  // Checked here rather than left to SDL, whose own message ("No available video device") does not
  // say what to do.
  if (!set("DISPLAY") && !set("WAYLAND_DISPLAY"))
    return make_error(Errc::unsupported,
                      "--display sdl: no graphical session (DISPLAY and WAYLAND_DISPLAY are unset); use --display vnc or headless");
  return open_sdl_display(config);
}

}  // namespace phantom::host
