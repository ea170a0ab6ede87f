// The graphics verbs of the control socket on the wire (system layer): `screenshot` answers a PNG in
// base64, `input` carries mouse and key events as JSON (docs/control.md):
//   {"type": "mouse", "x": 10, "y": 20, "buttons": 1, "wheel": 0}        top-left origin, buttons 1 left 2 right 4 middle
//   {"type": "key", "keysym": 65293}  or  {"type": "key", "char": "a"}   "down": true/false (default: a press and a release)
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "host/display.h"
#include "util/result.h"

namespace phantom::system {

std::string base64_encode(std::string_view bytes);
Result<std::string> base64_decode(std::string_view text);
Result<std::vector<host::InputEvent>> input_events_from_json(const nlohmann::json& events);

}  // namespace phantom::system
