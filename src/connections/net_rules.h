// NetRules: which addresses a world may listen on and which peers it may connect to (connections
// layer, docs/network.md "Security"). A world listens only on loopback unless `phantom run --listen
// ADDR:PORT` allows more; with no `--connect` rule it may connect anywhere, with some it may connect
// only where one of them allows. Checked by tcp:, udp: and the HTTP client (url:).
//
// Rule forms (both options repeatable):
//   --listen  ADDR:PORT   a numeric address ([::] or 0.0.0.0 for every interface) and a port or `*`
//   --connect HOST:PORT   HOST a name as the program writes it ("example.com", case-insensitive) or a
//                         numeric address ("10.0.0.5", "[fd00::1]"), or `*`; PORT a number or `*`;
//             *           anywhere (the same as no rule)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "host/net.h"
#include "util/result.h"

namespace phantom::connections {

class NetRules {
 public:
  // Checks the forms; a malformed rule is an error that names it (phantom run refuses to start).
  static Result<NetRules> parse(const std::vector<std::string>& listen, const std::vector<std::string>& connect);

  // Whether the world may listen on (or bind a UDP socket to) `at`; when not, `why` says so.
  bool may_listen(const host::NetAddress& at, std::string& why) const;
  // Whether the world may connect (or send datagrams) to `host` (a name or a numeric address,
  // IPv6 without brackets or with) at `port`; when not, `why` names the peer and the rule to add.
  bool may_connect(std::string_view host, std::uint16_t port, std::string& why) const;
  // The same for a peer known by name and by the address it resolved to: allowed when either is.
  bool may_connect(std::string_view host, const host::NetAddress& resolved, std::string& why) const;

 private:
  struct Rule {
    std::string host;  // lower case, without brackets; "*" for any
    int port = -1;     // -1: any
  };
  static Result<Rule> parse_rule(std::string_view text, std::string_view option);
  static bool matches(const Rule& rule, std::string_view host, std::uint16_t port);
  std::vector<Rule> listen_, connect_;
  bool connect_limited_ = false;
};

}  // namespace phantom::connections
