// phantom screenshot and phantom input: the screen of a running world as a PNG, and mouse and key
// events as if a user made them, through its control socket (command line layer, docs/graphics.md).
#include <cstdio>
#include <fstream>

#include "cli/cli_common.h"

namespace phantom::cli {
namespace {

struct ScreenshotOptions {
  WorldArguments world;
  std::string output;
};

struct InputOptions {
  WorldArguments world;
  std::vector<std::string> moves, clicks, right_clicks, drags, keys;
  std::string json, text;
};

// "X,Y" (pixels from the screen's top-left corner, as on a screenshot).
bool parse_point(const std::string& s, int& x, int& y) {
  char extra = 0;
  return std::sscanf(s.c_str(), "%d,%d%c", &x, &y, &extra) == 2;
}

nlohmann::json mouse(int x, int y, unsigned buttons) { return {{"type", "mouse"}, {"x", x}, {"y", y}, {"buttons", buttons}}; }

[[noreturn]] void usage(const std::string& message) {
  fmt::print(stderr, "phantom input: {}\n", message);
  std::exit(exit_usage);
}

std::uint32_t keysym_named(const std::string& name) {
  static const std::pair<const char*, std::uint32_t> names[] = {
      {"Return", 0xff0d}, {"Enter", 0xff0d}, {"BackSpace", 0xff08}, {"Tab", 0xff09}, {"Escape", 0xff1b},
      {"Left", 0xff51},   {"Up", 0xff52},    {"Right", 0xff53},     {"Down", 0xff54}, {"Delete", 0xffff},
  };
  for (auto& [n, sym] : names)
    if (name == n) return sym;
  return 0;
}

}  // namespace

void add_graphics_commands(CLI::App& app) {
  auto shot = std::make_shared<ScreenshotOptions>();
  CLI::App* cmd = app.add_subcommand("screenshot", "Write what a running world's screen shows now as a PNG file");
  add_world_arguments(cmd, shot->world);
  cmd->add_option("output", shot->output, "the PNG file to write (- for stdout)")->required();
  cmd->footer("The world must run with a display (phantom run --display headless, vnc or sdl).");
  cmd->callback([shot] {
    std::string png = exit_on_error(system::screenshot_running_world(control_target(shot->world)));
    if (shot->output == "-") {
      std::fwrite(png.data(), 1, png.size(), stdout);
    } else {
      std::ofstream out(shot->output, std::ios::binary | std::ios::trunc);
      out.write(png.data(), static_cast<std::streamsize>(png.size()));
      out.close();
      if (!out) {
        fmt::print(stderr, "phantom: {}: cannot write the screenshot\n", shot->output);
        std::exit(exit_failure);
      }
    }
    std::exit(exit_ok);
  });

  auto in = std::make_shared<InputOptions>();
  cmd = app.add_subcommand("input", "Send mouse and key events to a running world's desktop, as if a user made them");
  add_world_arguments(cmd, in->world);
  cmd->add_option("--json", in->json, "a JSON array of events (docs/control.md), sent first");
  cmd->add_option("--move", in->moves, "move the mouse to X,Y (repeatable)");
  cmd->add_option("--click", in->clicks, "left click at X,Y (repeatable)");
  cmd->add_option("--right-click", in->right_clicks, "right click at X,Y (repeatable)");
  cmd->add_option("--drag", in->drags, "X1,Y1:X2,Y2: press the left button at the first point, release it at the second");
  cmd->add_option("--type", in->text, "type this text (each character a key press and release)");
  cmd->add_option("--key", in->keys, "press and release a key: Return, BackSpace, Tab, Escape, Left, Up, Right, Down, Delete");
  cmd->footer(
      "Positions are screen pixels from the top-left corner, as on a screenshot. The options are sent in the\n"
      "order listed here; the command returns once the world has handled them and the screen shows it.");
  cmd->callback([in] {
    nlohmann::json events = nlohmann::json::array();
    if (!in->json.empty()) {
      nlohmann::json given = nlohmann::json::parse(in->json, nullptr, false);
      if (given.is_discarded() || !given.is_array()) usage("--json: not a JSON array of events");
      for (auto& e : given) events.push_back(e);
    }
    int x, y;
    for (const auto& p : in->moves) {
      if (!parse_point(p, x, y)) usage("--move " + p + ": give X,Y");
      events.push_back(mouse(x, y, 0));
    }
    for (const auto& [list, button] : {std::pair{&in->clicks, 1u}, std::pair{&in->right_clicks, 2u}})
      for (const auto& p : *list) {
        if (!parse_point(p, x, y)) usage("--click " + p + ": give X,Y");
        events.push_back(mouse(x, y, 0));
        events.push_back(mouse(x, y, button));
        events.push_back(mouse(x, y, 0));
      }
    for (const auto& d : in->drags) {
      auto colon = d.find(':');
      int x2, y2;
      if (colon == std::string::npos || !parse_point(d.substr(0, colon), x, y) || !parse_point(d.substr(colon + 1), x2, y2))
        usage("--drag " + d + ": give X1,Y1:X2,Y2");
      events.push_back(mouse(x, y, 0));
      events.push_back(mouse(x, y, 1));
      for (int step = 1; step <= 8; ++step) events.push_back(mouse(x + (x2 - x) * step / 8, y + (y2 - y) * step / 8, 1));
      events.push_back(mouse(x2, y2, 0));
    }
    for (std::size_t i = 0; i < in->text.size();) {
      std::size_t n = 1;
      auto c = static_cast<unsigned char>(in->text[i]);
      if (c >= 0xF0) n = 4;
      else if (c >= 0xE0) n = 3;
      else if (c >= 0xC0) n = 2;
      events.push_back({{"type", "key"}, {"char", in->text.substr(i, n)}});
      i += n;
    }
    for (const auto& k : in->keys) {
      std::uint32_t sym = keysym_named(k);
      if (!sym) usage("--key " + k + ": not a key name this command knows (see --help)");
      events.push_back({{"type", "key"}, {"keysym", sym}});
    }
    if (events.empty()) usage("nothing to send (see --help)");
    std::size_t sent = exit_on_error(system::input_to_running_world(control_target(in->world), events));
    fmt::print(stderr, "phantom: {} event(s) handled\n", sent);
    std::exit(exit_ok);
  });
}

}  // namespace phantom::cli
