// host/net.h on Linux: address parsing, name resolution, and real TCP and UDP traffic over IPv4 and
// IPv6 loopback with non-blocking sockets (the host side of tcp: and udp:).
#include <gtest/gtest.h>
#include <poll.h>

#include <future>

#include "host/net.h"

namespace phantom::host {
namespace {

void wait_for(const Socket& s, short events) {
  pollfd p{s.handle(), events, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1) << "socket not ready within 5 s";
}

TEST(NetAddressTest, ParsesAndPrintsIpv4AndIpv6) {
  auto a = NetAddress::parse("127.0.0.1:8080");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->to_string(), "127.0.0.1:8080");
  EXPECT_TRUE(a->is_loopback());
  auto b = NetAddress::parse("[::1]:53");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->to_string(), "[::1]:53");
  EXPECT_TRUE(b->is_loopback());
  auto any = NetAddress::parse("0.0.0.0:1");
  ASSERT_TRUE(any.ok());
  EXPECT_TRUE(any->is_any());
  EXPECT_FALSE(any->is_loopback());
  for (const char* bad : {"127.0.0.1", "127.0.0.1:99999", "localhost:80", "[::1:80", "1.2.3.4:x"}) {
    auto r = NetAddress::parse(bad);
    EXPECT_FALSE(r.ok()) << bad;
  }
}

TEST(NetResolveTest, LocalhostHasALoopbackAddress) {
  auto r = resolve("localhost", 80);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_FALSE(r->empty());
  for (const auto& a : *r) EXPECT_TRUE(a.is_loopback()) << a.to_string();
  auto missing = resolve("no-such-host.invalid", 80);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("no-such-host.invalid"), std::string::npos);
}

TEST(NetResolveTest, ResolverAnswersOnItsOwnThread) {
  auto resolver = start_resolver();
  std::promise<std::string> answer;
  resolver->resolve("127.0.0.1", 9, [&](Result<std::vector<NetAddress>> r) {
    answer.set_value(r.ok() ? r->front().to_string() : r.error().message);
  });
  EXPECT_EQ(answer.get_future().get(), "127.0.0.1:9");
}

void stream_round_trip(const char* listen_at) {
  auto listener = listen_stream(*NetAddress::parse(listen_at));
  ASSERT_TRUE(listener.ok()) << listener.error().message;
  NetAddress at = (*listener)->local_address();
  ASSERT_NE(at.port, 0);
  auto client = connect_stream(at);
  ASSERT_TRUE(client.ok()) << client.error().message;
  ASSERT_NO_FATAL_FAILURE(wait_for(**client, POLLOUT));
  auto connected = (*client)->finish_connect();
  ASSERT_TRUE(connected.ok()) << connected.error().message;
  EXPECT_TRUE(*connected);
  ASSERT_NO_FATAL_FAILURE(wait_for(**listener, POLLIN));
  auto server = (*listener)->accept();
  ASSERT_TRUE(server.ok());
  ASSERT_TRUE(*server);
  EXPECT_EQ((*server)->peer_address(), (*client)->local_address());
  std::string hello = "hello";
  EXPECT_EQ((*client)->write(hello).bytes, 5u);
  ASSERT_NO_FATAL_FAILURE(wait_for(**server, POLLIN));
  char buf[16];
  auto got = (*server)->read(buf);
  ASSERT_EQ(got.kind, IoResult::done);
  EXPECT_EQ(std::string(buf, got.bytes), "hello");
  EXPECT_EQ((*server)->read(buf).kind, IoResult::would_block);
  (*client)->shutdown_write();
  ASSERT_NO_FATAL_FAILURE(wait_for(**server, POLLIN));
  EXPECT_EQ((*server)->read(buf).kind, IoResult::closed);
  auto none = (*listener)->accept();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(*none);
}

TEST(NetSocketTest, StreamOverIpv4Loopback) { stream_round_trip("127.0.0.1:0"); }
TEST(NetSocketTest, StreamOverIpv6Loopback) { stream_round_trip("[::1]:0"); }

TEST(NetSocketTest, RefusedConnectionSaysSo) {
  NetAddress at;
  {
    auto l = listen_stream(*NetAddress::parse("127.0.0.1:0"));
    ASSERT_TRUE(l.ok());
    at = (*l)->local_address();
  }  // closed: nobody listens on `at` now
  auto client = connect_stream(at);
  if (!client.ok()) {
    EXPECT_EQ(client.error().message, "connection refused");
    return;
  }
  ASSERT_NO_FATAL_FAILURE(wait_for(**client, POLLOUT));
  auto connected = (*client)->finish_connect();
  ASSERT_FALSE(connected.ok());
  EXPECT_EQ(connected.error().message, "connection refused");
}

TEST(NetSocketTest, ListeningTwiceOnOnePortIsBusy) {
  auto a = listen_stream(*NetAddress::parse("127.0.0.1:0"));
  ASSERT_TRUE(a.ok());
  auto b = listen_stream((*a)->local_address());
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, Errc::busy);
  EXPECT_NE(b.error().message.find("address already in use"), std::string::npos) << b.error().message;
}

TEST(NetSocketTest, DatagramsBothWays) {
  auto a = open_datagram(*NetAddress::parse("127.0.0.1:0"));
  auto b = open_datagram(*NetAddress::parse("127.0.0.1:0"));
  ASSERT_TRUE(a.ok() && b.ok());
  std::string ping = "ping";
  EXPECT_EQ((*a)->send_to((*b)->local_address(), ping).kind, IoResult::done);
  ASSERT_NO_FATAL_FAILURE(wait_for(**b, POLLIN));
  char buf[8];
  NetAddress from;
  auto got = (*b)->receive_from(buf, from);
  ASSERT_EQ(got.kind, IoResult::done);
  EXPECT_EQ(std::string(buf, got.bytes), "ping");
  EXPECT_EQ(from, (*a)->local_address());
  std::string big(100, 'x');
  EXPECT_EQ((*a)->send_to((*b)->local_address(), big).kind, IoResult::done);
  ASSERT_NO_FATAL_FAILURE(wait_for(**b, POLLIN));
  EXPECT_EQ((*b)->receive_from(buf, from).kind, IoResult::failed);  // larger than the buffer: said, not cut silently
}

}  // namespace
}  // namespace phantom::host
