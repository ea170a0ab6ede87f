// HttpRequestParser and http_response_bytes: the strict incremental parser behind `web:`.
#include "connections/http_request_parser.h"

#include <gtest/gtest.h>

#include "connections/http_response_writer.h"

namespace phantom::connections {
namespace {

using State = HttpRequestParser::State;

// Feeds `bytes` in pieces of `step` bytes (1: byte by byte), as a socket might deliver them.
State feed_in_steps(HttpRequestParser& p, std::string_view bytes, std::size_t step, std::size_t* used = nullptr) {
  std::size_t at = 0;
  while (at < bytes.size() && p.state() == State::need_more) {
    std::size_t n = p.feed(bytes.substr(at, std::min(step, bytes.size() - at)));
    at += n;
    if (n == 0) break;
  }
  if (used) *used = at;
  return p.state();
}

TEST(HttpRequestParser, SimpleGetInAnyPieceSize) {
  const std::string req = "GET /value?x=1&y=2 HTTP/1.1\r\nHost: localhost\r\nUser-Agent:  curl/7.88 \r\n\r\n";
  for (std::size_t step : {std::size_t(1), std::size_t(3), std::size_t(7), req.size()}) {
    HttpRequestParser p;
    ASSERT_EQ(feed_in_steps(p, req, step), State::complete) << step;
    HttpRequest r = p.take();
    EXPECT_EQ(r.method, "GET");
    EXPECT_EQ(r.path, "/value");
    EXPECT_EQ(r.query, "x=1&y=2");
    EXPECT_EQ(r.version_minor, 1);
    EXPECT_TRUE(r.keep_alive);
    ASSERT_NE(r.header("user-agent"), nullptr);
    EXPECT_EQ(*r.header("user-agent"), "curl/7.88");
    EXPECT_EQ(r.body, "");
  }
}

TEST(HttpRequestParser, ContentLengthBody) {
  HttpRequestParser p;
  std::string req = "POST /inc HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET";
  EXPECT_EQ(p.feed(req), req.size() - 3) << "stops at the end of the body";
  ASSERT_EQ(p.state(), State::complete);
  EXPECT_EQ(p.take().body, "hello");
}

TEST(HttpRequestParser, ChunkedBodyWithExtensionsAndTrailers) {
  const std::string req =
      "POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=x\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Sum: 1\r\n\r\n";
  for (std::size_t step : {std::size_t(1), std::size_t(4), req.size()}) {
    HttpRequestParser p;
    ASSERT_EQ(feed_in_steps(p, req, step), State::complete) << step << " " << p.error_message();
    EXPECT_EQ(p.take().body, "hello 0123456789");
  }
}

TEST(HttpRequestParser, PipelinedRequestsOneAfterAnother) {
  std::string two = "GET /a HTTP/1.1\r\nHost: h\r\n\r\nPOST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nok";
  HttpRequestParser p;
  std::size_t used = p.feed(two);
  ASSERT_EQ(p.state(), State::complete);
  EXPECT_EQ(p.take().path, "/a");
  used += p.feed(std::string_view(two).substr(used));
  ASSERT_EQ(p.state(), State::complete);
  HttpRequest b = p.take();
  EXPECT_EQ(b.path, "/b");
  EXPECT_EQ(b.body, "ok");
  EXPECT_EQ(used, two.size());
  EXPECT_FALSE(p.mid_request());
}

TEST(HttpRequestParser, KeepAliveRules) {
  auto keep = [](std::string head) {
    HttpRequestParser p;
    p.feed(head + "\r\n");
    EXPECT_EQ(p.state(), State::complete) << head;
    return p.take().keep_alive;
  };
  EXPECT_TRUE(keep("GET / HTTP/1.1\r\nHost: h\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.1\r\nHost: h\r\nConnection: Close\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.1\r\nHost: h\r\nConnection: upgrade, close\r\n"));
  EXPECT_FALSE(keep("GET / HTTP/1.0\r\n"));
  EXPECT_TRUE(keep("GET / HTTP/1.0\r\nConnection: keep-alive\r\n"));
}

TEST(HttpRequestParser, BareLfLinesAndALeadingEmptyLine) {
  HttpRequestParser p;
  p.feed("\r\nGET /x HTTP/1.1\nHost: h\n\n");
  ASSERT_EQ(p.state(), State::complete) << p.error_message();
  EXPECT_EQ(p.take().path, "/x");
}

TEST(HttpRequestParser, AbsoluteFormAndAsterisk) {
  HttpRequestParser p;
  p.feed("GET http://example.com:80/a/b?c HTTP/1.1\r\nHost: example.com\r\n\r\n");
  ASSERT_EQ(p.state(), State::complete);
  HttpRequest r = p.take();
  EXPECT_EQ(r.path, "/a/b");
  EXPECT_EQ(r.query, "c");
  p.feed("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(p.state(), State::complete);
  EXPECT_EQ(p.take().path, "*");
}

TEST(HttpRequestParser, ExpectContinueIsReportedOnce) {
  HttpRequestParser p;
  p.feed("PUT /f HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
  EXPECT_EQ(p.state(), State::need_more);
  EXPECT_TRUE(p.take_continue_wanted());
  EXPECT_FALSE(p.take_continue_wanted());
  p.feed("abc");
  EXPECT_EQ(p.state(), State::complete);
}

struct BadCase {
  const char* what;
  std::string bytes;
  int status;
};

TEST(HttpRequestParser, BadRequestsGetTheStatusThatSaysWhy) {
  const std::vector<BadCase> cases = {
      {"garbage", std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11), 400},
      {"no version", "GET /\r\n", 400},
      {"two spaces", "GET  / HTTP/1.1\r\n", 400},
      {"HTTP/2", "GET / HTTP/2.0\r\n", 505},
      {"bad method", "G(T / HTTP/1.1\r\n", 400},
      {"relative target", "GET x HTTP/1.1\r\n", 400},
      {"no host", "GET / HTTP/1.1\r\n\r\n", 400},
      {"two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      {"no colon", "GET / HTTP/1.1\r\nHost h\r\n\r\n", 400},
      {"space before colon", "GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400},
      {"obs-fold", "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", 400},
      {"bare CR", "GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", 400},
      {"NUL in value", std::string("GET / HTTP/1.1\r\nHost: h\0\r\n\r\n", 28), 400},
      {"bad length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1x\r\n\r\n", 400},
      {"negative length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400},
      {"two lengths", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
      {"length and chunked", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
      {"gzip coding", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
      {"CONNECT", "CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n", 501},
      {"bad chunk size", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
      {"chunk too long", "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", 400},
      {"body too large", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1048577\r\n\r\n", 413},
      {"huge length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400},
      {"expect other", "POST / HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\n\r\n", 417},
  };
  for (const auto& c : cases) {
    HttpRequestParser p;
    feed_in_steps(p, c.bytes, 5);
    EXPECT_EQ(p.state(), State::error) << c.what;
    EXPECT_EQ(p.error_status(), c.status) << c.what << ": " << p.error_message();
    EXPECT_FALSE(p.error_message().empty()) << c.what;
    EXPECT_EQ(p.feed("GET / HTTP/1.1\r\n"), 0u) << "an error is final: " << c.what;
  }
}

TEST(HttpRequestParser, LimitsStopTheBufferFromGrowing) {
  HttpLimits limits;
  {
    HttpRequestParser p(limits);
    std::string line = "GET /" + std::string(limits.max_request_line, 'a');
    feed_in_steps(p, line, 4096);
    EXPECT_EQ(p.error_status(), 414);
  }
  {
    HttpRequestParser p(limits);  // a 1 MiB header, sent without ever ending its line
    std::string head = "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(1 << 20, 'b');
    std::size_t used = 0;
    feed_in_steps(p, head, 65536, &used);
    EXPECT_EQ(p.error_status(), 431);
    EXPECT_LE(used, limits.max_header_bytes + 65536);
  }
  {
    HttpRequestParser p(limits);
    std::string head = "GET / HTTP/1.1\r\nHost: h\r\n";
    for (std::size_t i = 0; i < limits.max_headers; ++i) head += "X-A: b\r\n";
    feed_in_steps(p, head + "\r\n", 100);
    EXPECT_EQ(p.error_status(), 431);
  }
  {
    HttpRequestParser p(HttpLimits{.max_body = 10});
    feed_in_steps(p, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n", 3);
    EXPECT_EQ(p.error_status(), 413);
  }
}

TEST(HttpRequestParser, MidRequestTellsAPartialRequestFromIdle) {
  HttpRequestParser p;
  EXPECT_FALSE(p.mid_request());
  p.feed("GET / HT");
  EXPECT_TRUE(p.mid_request());
}

TEST(HttpResponseBytes, FramingIsTheServers) {
  HttpResponseSpec spec;
  spec.headers = {{"Content-Type", "application/json"}};
  spec.body = "{\"value\":1}";
  auto bytes = http_response_bytes(spec);
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ(*bytes, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"value\":1}");
  spec.keep_alive = false;
  spec.head_only = true;
  spec.status = 404;
  auto head = http_response_bytes(spec);
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(*head, "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 11\r\nConnection: close\r\n\r\n");
}

TEST(HttpResponseBytes, RefusesInjectionAndFramingFields) {
  HttpResponseSpec spec;
  spec.headers = {{"X-A", "b\r\nSet-Cookie: evil"}};
  EXPECT_FALSE(http_response_bytes(spec).ok());
  spec.headers = {{"Content-Length", "3"}};
  EXPECT_FALSE(http_response_bytes(spec).ok());
  spec.headers = {{"Bad Name", "x"}};
  EXPECT_FALSE(http_response_bytes(spec).ok());
  spec.headers = {};
  spec.status = 99;
  EXPECT_FALSE(http_response_bytes(spec).ok());
}

}  // namespace
}  // namespace phantom::connections
