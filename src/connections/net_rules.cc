// NetRules (connections layer): see net_rules.h.
#include "connections/net_rules.h"

#include <algorithm>
#include <cctype>

namespace phantom::connections {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// "[::1]" -> "::1"; a numeric address in its canonical spelling, so "0:0::1" matches "::1".
std::string canonical_host(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string bracketed = host.find(':') != std::string_view::npos ? "[" + std::string(host) + "]:0" : std::string(host) + ":0";
  auto numeric = host::NetAddress::parse(bracketed);
  if (!numeric.ok()) return lower(host);
  std::string text = numeric->to_string();  // "1.2.3.4:0" or "[::1]:0"
  text = text.substr(0, text.rfind(':'));
  if (!text.empty() && text.front() == '[') text = text.substr(1, text.size() - 2);
  return text;
}

}  // namespace

Result<NetRules::Rule> NetRules::parse_rule(std::string_view text, std::string_view option) {
  Rule rule;
  if (text == "*") {
    rule.host = "*";
    return rule;
  }
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size())
    return make_error(Errc::invalid_argument, "{} {}: expected HOST:PORT, HOST:* or *", option, text);
  std::string_view host = text.substr(0, colon), port = text.substr(colon + 1);
  if (host.find(':') != std::string_view::npos && host.front() != '[')
    return make_error(Errc::invalid_argument, "{} {}: write an IPv6 address in brackets, [::1]:PORT", option, text);
  rule.host = host == "*" ? "*" : canonical_host(host);
  if (port != "*") {
    int value = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || value > 65535) return make_error(Errc::invalid_argument, "{} {}: bad port", option, text);
      value = value * 10 + (c - '0');
    }
    if (value > 65535) return make_error(Errc::invalid_argument, "{} {}: port above 65535", option, text);
    rule.port = value;
  }
  return rule;
}

Result<NetRules> NetRules::parse(const std::vector<std::string>& listen, const std::vector<std::string>& connect) {
  NetRules rules;
  for (const auto& text : listen) {
    PHANTOM_ASSIGN(Rule rule, parse_rule(text, "--listen"));
    if (rule.host == "*" || !host::NetAddress::parse(text.substr(0, text.rfind(':')) + ":0").ok())
      return make_error(Errc::invalid_argument, "--listen {}: the address must be numeric (0.0.0.0, [::], 192.168.1.5)", text);
    rules.listen_.push_back(rule);
  }
  for (const auto& text : connect) {
    PHANTOM_ASSIGN(Rule rule, parse_rule(text, "--connect"));
    rules.connect_.push_back(rule);
  }
  rules.connect_limited_ = !rules.connect_.empty();
  return rules;
}

bool NetRules::matches(const Rule& rule, std::string_view host, std::uint16_t port) {
  return (rule.host == "*" || rule.host == host) && (rule.port < 0 || rule.port == port);
}

bool NetRules::may_listen(const host::NetAddress& at, std::string& why) const {
  if (at.is_loopback()) return true;
  std::string text = at.to_string();
  std::string host = canonical_host(text.substr(0, text.rfind(':')));
  for (const auto& rule : listen_)
    if (matches(rule, host, at.port)) return true;
  why = fmt::format("listening on {} is not allowed: a world listens only on loopback unless started with "
                    "`phantom run --listen {}`", text, text);
  return false;
}

bool NetRules::may_connect(std::string_view host, std::uint16_t port, std::string& why) const {
  if (!connect_limited_) return true;
  std::string name = canonical_host(host);
  for (const auto& rule : connect_)
    if (matches(rule, name, port)) return true;
  std::string shown = name.find(':') != std::string::npos ? "[" + name + "]" : name;
  why = fmt::format("connecting to {}:{} is not allowed by the world's --connect rules", shown, port);
  return false;
}

bool NetRules::may_connect(std::string_view host, const host::NetAddress& resolved, std::string& why) const {
  if (may_connect(host, resolved.port, why)) return true;
  std::string text = resolved.to_string();
  std::string ignored;
  if (may_connect(text.substr(0, text.rfind(':')), resolved.port, ignored)) return true;
  return false;  // `why` from the name
}

}  // namespace phantom::connections
