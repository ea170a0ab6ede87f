// The graphics verbs of the control socket on the wire (system layer): see control_input.h.
#include "system/control_input.h"

namespace phantom::system {
namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The first code point of UTF-8 `s`, or -1.
long first_code_point(std::string_view s) {
  if (s.empty()) return -1;
  auto b = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char c = b(0);
  if (c < 0x80) return c;
  int n = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : -1;
  if (n < 0 || s.size() < std::size_t(n) + 1) return -1;
  long cp = c & (0x3F >> n);
  for (int i = 1; i <= n; ++i) {
    if ((b(i) & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (b(i) & 0x3F);
  }
  return cp;
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    std::uint32_t v = (std::uint8_t(bytes[i]) << 16) | (std::uint8_t(bytes[i + 1]) << 8) | std::uint8_t(bytes[i + 2]);
    for (int k = 3; k >= 0; --k) out += alphabet[(v >> (6 * k)) & 63];
  }
  if (i < bytes.size()) {
    std::uint32_t v = std::uint8_t(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= std::uint8_t(bytes[i + 1]) << 8;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

Result<std::string> base64_decode(std::string_view text) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char ch : text) {
    if (ch == '=') break;
    const char* at = std::char_traits<char>::find(alphabet, 64, ch);
    if (!at) return make_error(Errc::invalid_argument, "base64: unexpected character");
    acc = (acc << 6) | static_cast<std::uint32_t>(at - alphabet);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

Result<std::vector<host::InputEvent>> input_events_from_json(const nlohmann::json& events) {
  std::vector<host::InputEvent> out;
  if (events.size() > 10000) return make_error(Errc::invalid_argument, "input: at most 10000 events per request");
  for (const auto& e : events) {
    if (!e.is_object() || !e.contains("type") || !e["type"].is_string())
      return make_error(Errc::invalid_argument, "input: each event is an object with a \"type\": \"mouse\" or \"key\"");
    host::InputEvent ev;
    if (e["type"] == "mouse") {
      ev.kind = host::InputEvent::Kind::mouse;
      ev.x = e.value("x", 0);
      ev.y = e.value("y", 0);
      ev.buttons = e.value("buttons", 0u) & 7u;
      ev.wheel = e.value("wheel", 0);
      out.push_back(ev);
    } else if (e["type"] == "key") {
      ev.kind = host::InputEvent::Kind::key;
      ev.keysym = e.value("keysym", 0u);
      ev.modifiers = e.value("modifiers", 0u);
      if (e.contains("char")) {
        long cp = first_code_point(e.value("char", std::string()));
        if (cp < 0) return make_error(Errc::invalid_argument, "input: \"char\" must be one character (UTF-8)");
        ev.character = static_cast<char32_t>(cp);
        if (!ev.keysym) ev.keysym = cp < 0x100 ? static_cast<std::uint32_t>(cp) : 0x01000000u + static_cast<std::uint32_t>(cp);
      }
      if (!ev.keysym) return make_error(Errc::invalid_argument, "input: a key event needs a \"keysym\" or a \"char\"");
      if (!ev.character) {
        if (ev.keysym == host::keysym_return) ev.character = '\n';
        else if (ev.keysym == host::keysym_backspace) ev.character = 8;
        else if (ev.keysym == host::keysym_tab) ev.character = '\t';
      }
      if (e.contains("down")) {
        ev.down = e.value("down", true);
        out.push_back(ev);
      } else {  // a whole key stroke
        ev.down = true;
        out.push_back(ev);
        ev.down = false;
        out.push_back(ev);
      }
    } else {
      return make_error(Errc::invalid_argument, "input: unknown event type (mouse or key)");
    }
  }
  return out;
}

}  // namespace phantom::system
