// connections/net_rules.h: where a world may listen and connect (docs/network.md "Security").
#include <gtest/gtest.h>

#include "connections/net_rules.h"

namespace phantom::connections {
namespace {

host::NetAddress at(const char* text) { return *host::NetAddress::parse(text); }

TEST(NetRulesTest, LoopbackOnlyUnlessListenAllowsMore) {
  auto none = NetRules::parse({}, {});
  ASSERT_TRUE(none.ok());
  std::string why;
  EXPECT_TRUE(none->may_listen(at("127.0.0.1:80"), why));
  EXPECT_TRUE(none->may_listen(at("[::1]:80"), why));
  EXPECT_FALSE(none->may_listen(at("0.0.0.0:8080"), why));
  EXPECT_NE(why.find("phantom run --listen 0.0.0.0:8080"), std::string::npos) << why;
  auto some = NetRules::parse({"0.0.0.0:8080", "[::]:*"}, {});
  ASSERT_TRUE(some.ok());
  EXPECT_TRUE(some->may_listen(at("0.0.0.0:8080"), why));
  EXPECT_FALSE(some->may_listen(at("0.0.0.0:8081"), why));
  EXPECT_TRUE(some->may_listen(at("[::]:1234"), why));
}

TEST(NetRulesTest, ConnectRulesByNameAddressAndPort) {
  auto any = NetRules::parse({}, {});
  std::string why;
  EXPECT_TRUE(any->may_connect("example.com", 443, why));
  auto rules = NetRules::parse({}, {"Broker.Local:1883", "10.0.0.5:*", "[::1]:80", "*:53"});
  ASSERT_TRUE(rules.ok());
  EXPECT_TRUE(rules->may_connect("broker.local", 1883, why));
  EXPECT_FALSE(rules->may_connect("broker.local", 1884, why));
  EXPECT_NE(why.find("broker.local:1884"), std::string::npos) << why;
  EXPECT_TRUE(rules->may_connect("10.0.0.5", 9, why));
  EXPECT_TRUE(rules->may_connect("0:0::1", 80, why));  // the same address spelled otherwise
  EXPECT_TRUE(rules->may_connect("anything", 53, why));
  EXPECT_FALSE(rules->may_connect("localhost", 80, why));
  EXPECT_TRUE(rules->may_connect("localhost", at("[::1]:80"), why));  // allowed by the address it resolved to
}

TEST(NetRulesTest, MalformedRulesAreRefusedByName) {
  for (const char* bad : {"nonsense", "1.2.3.4:", "1.2.3.4:99999", "::1:80"}) {
    auto r = NetRules::parse({}, {bad});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find(bad), std::string::npos) << r.error().message;
  }
  auto named = NetRules::parse({"example.com:80"}, {});
  ASSERT_FALSE(named.ok());
  EXPECT_NE(named.error().message.find("must be numeric"), std::string::npos);
}

}  // namespace
}  // namespace phantom::connections
