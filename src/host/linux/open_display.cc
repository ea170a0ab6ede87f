// open_display: checks a DisplayConfig and opens the back-end it names (host layer). The checks that
// hold for every back-end live here; each back-end checks its own settings (vnc: address, port,
// password file). vnc and sdl are modules, loaded the first time they are asked for (plugin_loader.h), so
// that a run without them does not pay for loading libvncserver and SDL2.
// May call: Linux (the environment), the back-ends in this directory.
#include <cstdlib>
#include <type_traits>

#include "host/display.h"
#include "host/linux/plugin_loader.h"

namespace phantom::host {
namespace {

constexpr int min_side = 64, max_side = 8192;

bool set(const char* variable) {
  const char* value = std::getenv(variable);
  return value && *value;
}

// Opens the display of the module `file`, whose factory is `symbol`. A module that does not load is an
// error naming it, where it was looked for and why: "--display vnc: cannot load phantom-display-vnc.so
// (searched DIR, DIR): no such file in any of them".
Result<std::unique_ptr<Display>> open_module_display(const DisplayConfig& config, const char* file, const char* symbol) {
  auto factory = load_plugin_symbol(file, symbol);
  if (!factory.ok()) return make_error(factory.error().code, "--display {}: {}", config.kind, factory.error().message);
  static_assert(std::is_same_v<decltype(&phantom_display_vnc_open_v1), decltype(&phantom_display_sdl_open_v1)>);
  auto open = reinterpret_cast<decltype(&phantom_display_vnc_open_v1)>(*factory);
  Error error{Errc::io, {}};
  Display* display = open(config, error);
  if (!display) return error;
  return std::unique_ptr<Display>(display);
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
  if (kind == "vnc") return open_module_display(config, "phantom-display-vnc.so", "phantom_display_vnc_open_v1");
  // Checked here rather than left to SDL, whose own message ("No available video device") does not
  // say what to do.
  if (!set("DISPLAY") && !set("WAYLAND_DISPLAY"))
    return make_error(Errc::unsupported,
                      "--display sdl: no graphical session (DISPLAY and WAYLAND_DISPLAY are unset); use --display vnc or headless");
  return open_module_display(config, "phantom-display-sdl.so", "phantom_display_sdl_open_v1");
}

}  // namespace phantom::host
