// The HTTP client and JSON (issue 12), against a real local server (http_test_server.py, Python's
// http.server on 127.0.0.1 and a free port):
//  - host::HttpClient on its own: GET, POST, headers, redirects, a refused port, a timeout, the size
//    limit, a --connect-style refusal, and cancel();
//  - Phantom programs (http_program.ph) run by the real `phantom` binary: .phantom.net.http_client
//    (GET, POST echoed, request headers, a redirect followed and not, a 404, PUT and DELETE, localhost
//    by name), errors as clear strings (refused, timeout, too large, a redirect loop, not http), the
//    url: connection's op 0 and tcp.curl getting the real body, two VM threads where a slow request
//    does not hold up the other, and JSON round trips, escaping and malformed input.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include "host/http_client.h"
#include "support/child_process.h"
#include "support/free_port.h"
#include "support/program_test.h"

namespace phantom {
namespace {

// The test server, started on a free port and stopped (its stdin closes) when this ends.
class TestServer {
 public:
  TestServer() {
    child_ = test::spawn_child("/usr/bin/python3", {"python3", HTTP_TEST_SERVER}, false, true);
    std::string out;
    if (!test::read_until(child_.out, out, "\n", 10000)) return;
    if (out.rfind("port ", 0) == 0) port_ = std::stoi(out.substr(5));
  }
  ~TestServer() {
    if (child_.in >= 0) ::close(child_.in);
    if (child_.pid > 0) {
      ::kill(child_.pid, SIGTERM);
      ::waitpid(child_.pid, nullptr, 0);
    }
    if (child_.out >= 0) ::close(child_.out);
  }
  int port() const { return port_; }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  test::Child child_;
  int port_ = 0;
};

// A loopback URL where nothing listens: a port the kernel just gave out and that was closed again.
std::string dead_url() { return "http://127.0.0.1:" + std::to_string(test::free_loopback_port()); }

// ---- host::HttpClient ----

class HttpClientUnit : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_GT(server_.port(), 0) << "the test server did not start"; }
  host::HttpResult fetch(host::HttpRequest rq) {
    std::promise<host::HttpResult> answer;
    auto future = answer.get_future();
    client_->start(std::move(rq), [&](host::HttpResult r) { answer.set_value(std::move(r)); });
    EXPECT_EQ(future.wait_for(std::chrono::seconds(20)), std::future_status::ready);
    return future.get();
  }
  static host::HttpRequest get(const std::string& url) {
    host::HttpRequest rq;
    rq.url = url;
    return rq;
  }
  static std::string header(const host::HttpResponse& r, const std::string& name) {
    for (const auto& [n, v] : r.headers)
      if (strcasecmp(n.c_str(), name.c_str()) == 0) return v;
    return "<none>";
  }
  TestServer server_;
  std::unique_ptr<host::HttpClient> client_ = host::start_http_client();
};

TEST_F(HttpClientUnit, GetReturnsStatusHeadersAndBody) {
  auto r = fetch(get(server_.base() + "/hello"));
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.response.status, 200);
  EXPECT_EQ(r.response.reason, "OK");
  EXPECT_EQ(r.response.body, "hello from python");
  EXPECT_EQ(header(r.response, "content-type"), "text/plain");
}

TEST_F(HttpClientUnit, PostSendsBodyAndHeaders) {
  host::HttpRequest rq = get(server_.base() + "/echo");
  rq.method = "POST";
  rq.body = std::string(5000, 'b') + "end";  // larger than curl's Expect: 100-continue threshold once was
  rq.headers = {{"Content-Type", "text/x-test"}};
  auto started = std::chrono::steady_clock::now();
  auto r = fetch(rq);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.response.body, rq.body);
  EXPECT_EQ(header(r.response, "X-Echo-Type"), "text/x-test");
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(900)) << "waited for 100-continue";
}

TEST_F(HttpClientUnit, RedirectsAreFollowedUpToTheLimit) {
  auto r = fetch(get(server_.base() + "/redirect"));
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.response.status, 200);
  EXPECT_EQ(r.response.body, "hello from python");
  EXPECT_EQ(r.response.url, server_.base() + "/hello");
  EXPECT_EQ(header(r.response, "Location"), "<none>") << "the redirect's headers leaked into the answer";

  host::HttpRequest once = get(server_.base() + "/redirect");
  once.max_redirects = 0;
  r = fetch(once);
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(r.response.status, 302);
  EXPECT_EQ(header(r.response, "Location"), "/hello");

  r = fetch(get(server_.base() + "/loop"));
  EXPECT_EQ(r.error, host::HttpErrc::too_many_redirects) << r.message;
}

TEST_F(HttpClientUnit, FailuresSayWhy) {
  auto r = fetch(get(dead_url() + "/x"));
  EXPECT_EQ(r.error, host::HttpErrc::refused) << r.message;
  EXPECT_NE(r.message.find("connection refused"), std::string::npos) << r.message;

  host::HttpRequest slow = get(server_.base() + "/slow");
  slow.timeout_ms = 300;
  auto started = std::chrono::steady_clock::now();
  r = fetch(slow);
  EXPECT_EQ(r.error, host::HttpErrc::timeout) << r.message;
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(2500));

  host::HttpRequest big = get(server_.base() + "/big");
  big.max_body = 1000;
  r = fetch(big);
  EXPECT_EQ(r.error, host::HttpErrc::too_large) << r.message;
  EXPECT_TRUE(r.response.body.empty());

  r = fetch(get("ftp://127.0.0.1/x"));
  EXPECT_EQ(r.error, host::HttpErrc::bad_request) << r.message;
  host::HttpRequest injected = get(server_.base() + "/hello");
  injected.headers = {{"X-Test", "a\r\nEvil: yes"}};
  r = fetch(injected);
  EXPECT_EQ(r.error, host::HttpErrc::bad_request) << r.message;
}

TEST_F(HttpClientUnit, CheckAddressSeesEveryConnectionAndCanRefuse) {
  std::vector<std::string> seen;
  host::HttpRequest rq = get("http://localhost:" + std::to_string(server_.port()) + "/redirect");
  rq.check_address = [&](const std::string& host, const host::NetAddress& a) {
    seen.push_back(host + " " + a.to_string());
    return std::string();
  };
  auto r = fetch(rq);
  ASSERT_TRUE(r.ok()) << r.message;
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen[0].substr(0, 10), "localhost ");

  // A new client: the first one may reuse its open connection, which was allowed when it was made.
  client_ = host::start_http_client();
  rq.check_address = [](const std::string&, const host::NetAddress&) { return std::string("not in the --connect rules"); };
  r = fetch(rq);
  EXPECT_EQ(r.error, host::HttpErrc::denied) << r.message;
  EXPECT_NE(r.message.find("not in the --connect rules"), std::string::npos) << r.message;
}

TEST_F(HttpClientUnit, CancelledRequestsNeverAnswer) {
  std::atomic<int> answers{0};
  auto id = client_->start(get(server_.base() + "/slow"), [&](host::HttpResult) { ++answers; });
  client_->cancel(id);
  auto r = fetch(get(server_.base() + "/hello"));  // the client still works
  EXPECT_TRUE(r.ok()) << r.message;
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(answers.load(), 0);
}

// ---- Phantom programs ----

class HttpPrograms : public test::ProgramTest {
 protected:
  void SetUp() override {
    ASSERT_GT(server_.port(), 0) << "the test server did not start";
    ASSERT_NO_FATAL_FAILURE(compile_program("phantom_http_client_", PHANTOM_BINARY, HTTP_PROGRAM));
  }
  // Runs boot class `boot` in a new world until its threads end; its output.
  std::string run(const std::string& boot) {
    std::string command = std::string(PHANTOM_BINARY) + " run --world " + (dir_ / (boot + ".img")).string() +
                          " --arena-size 64M --boot " + boot + " --classpath " + (dir_ / "classes").string() +
                          " --env BASE=" + server_.base() + " --env DEAD=" + dead_url() + " 2>&1";
    auto r = test::run_shell("timeout 60 " + command);
    EXPECT_EQ(r.status, 0) << r.out;
    return r.out;
  }
  TestServer server_;
};

TEST_F(HttpPrograms, GetPostHeadersRedirectsAnd404) {
  std::string out = run(".test.http_basic");
  std::string base = server_.base();
  EXPECT_NE(out.find("get 200 OK [hello from python] type=text/plain\n"), std::string::npos) << out;
  EXPECT_NE(out.find("post 200 [{\"x\": 1}] type=application/json\n"), std::string::npos) << out;
  EXPECT_NE(out.find("headers 200 [x-test=from phantom;user-agent=Phantom/1 (libcurl)]\n"), std::string::npos) << out;
  EXPECT_NE(out.find("header lines [x-test=as lines;"), std::string::npos) << out;
  EXPECT_NE(out.find("redirect 200 [hello from python] at /hello\n"), std::string::npos) << out;
  EXPECT_NE(out.find("not followed 302 location=/hello\n"), std::string::npos) << out;
  EXPECT_NE(out.find("missing 404 Not Found [no such page]\n"), std::string::npos) << out;
  EXPECT_NE(out.find("put [PUT]\ndelete [DELETE]\n"), std::string::npos) << out;
  EXPECT_NE(out.find("localhost 200 [hello from python]\n"), std::string::npos) << out;
  EXPECT_NE(out.find("done\n"), std::string::npos) << out;
}

TEST_F(HttpPrograms, FailuresAreClearStrings) {
  std::string out = run(".test.http_errors");
  std::string base = server_.base();
  EXPECT_NE(out.find("refused: http: GET http://127.0.0.1:"), std::string::npos) << out;
  EXPECT_NE(out.find("/x: connection refused ("), std::string::npos) << out;
  EXPECT_NE(out.find("timeout: http: GET " + base + "/slow: timed out (Operation timed out after 5"), std::string::npos) << out;
  EXPECT_NE(out.find("large: http: GET " + base + "/big: response too large (the body is longer than the limit of 1000 bytes)\n"),
            std::string::npos) << out;
  EXPECT_NE(out.find("loop: http: GET " + base + "/loop: too many redirects ("), std::string::npos) << out;
  EXPECT_NE(out.find("scheme: http: GET url:ftp://127.0.0.1/x: 'ftp://127.0.0.1/x' is not an http:// or https:// URL\n"),
            std::string::npos) << out;
  EXPECT_NE(out.find("still fine: no error, status 200\n"), std::string::npos) << out;
  EXPECT_NE(out.find("done\n"), std::string::npos) << out;
}

TEST_F(HttpPrograms, UrlConnectionAndTcpCurlFetchTheRealBody) {
  std::string out = run(".test.url_raw");
  EXPECT_NE(out.find("connect 0\n"), std::string::npos) << out;
  EXPECT_NE(out.find("op0 [{\"name\": \"phantom\", \"n\": 3"), std::string::npos) << out;
  EXPECT_NE(out.find("error=[]\n"), std::string::npos) << out;
  EXPECT_NE(out.find("op0 404 [no such page] error=[url:" + server_.base() + "/missing: the server answered 404 Not Found]\n"),
            std::string::npos) << out;
  EXPECT_NE(out.find("op0 refused [] error has refused: 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("connect ftp 22 url:ftp://example.org/: 'ftp://example.org/' is not an http:// or https:// URL\n"),
            std::string::npos) << out;
  EXPECT_NE(out.find("curl [hello from python]\n"), std::string::npos) << out;
  EXPECT_NE(out.find("curl headers [x-test=curl header]\n"), std::string::npos) << out;
  EXPECT_NE(out.find("curl refused []\n"), std::string::npos) << out;
  EXPECT_NE(out.find("phantom: tcp.curl: http://127.0.0.1:"), std::string::npos) << "no reason logged\n" << out;
  EXPECT_NE(out.find("done\n"), std::string::npos) << out;
}

TEST_F(HttpPrograms, OnlyTheThreadThatAskedWaits) {
  std::string out = run(".test.http_parallel");
  auto fast = out.find("fast 5 hello from python\n"), slow = out.find("slow slow\n");
  ASSERT_NE(fast, std::string::npos) << out;
  ASSERT_NE(slow, std::string::npos) << out;
  EXPECT_LT(fast, slow) << "requests of another thread waited for the slow one\n" << out;
}

TEST_F(HttpPrograms, JsonRoundTripsEscapingAndMalformedInput) {
  std::string out = run(".test.json_checks");
  const char* expected[] = {
      "stringify {\"big\":5000000000,\"list\":[1,1,0,null,\"x\"],\"n\":3,\"name\":\"phantom\",\"nested\":{\"k\":[]},\"pi\":2.5}\n",
      "again {\"big\":5000000000,\"list\":[1,1,0,null,\"x\"],\"n\":3,\"name\":\"phantom\",\"nested\":{\"k\":[]},\"pi\":2.5}\n",
      "n+1 4 list size 5 true 1\n",
      // Phantom's "\b" is the byte 7 (the original's lexer), which JSON writes as \u0007.
      "escaped {\"quote\\\"back\\\\slash\":\"line\\nbreak\\ttab\\r\\u0007\",\"utf8\":\"h\xc3\xa9\"}\n",
      "back {\"quote\\\"back\\\\slash\":\"line\\nbreak\\ttab\\r\\u0007\",\"utf8\":\"h\xc3\xa9\"}\n",
      "unicode escape \"\xc3\xa9" "A\"\n",
      "top-level scalars 42 -2147483649 \"s\" null\n",
      "parseJson: parse error at line 1, column 9: syntax error while parsing object key - unexpected '}'",
      "parseJson: parse error at line 1, column 6: syntax error while parsing object separator",
      "parseJson: parse error at line 1, column 6: syntax error while parsing array - unexpected end of input",
      "parseJson: parse error at line 1, column 1: syntax error while parsing value",
      "parseJson: parse error at line 2, column 3: syntax error while parsing value",
      "parseJson: nesting deeper than 256 levels\n",
      "json.stringify: an object of class .test.net_base has no JSON form\n",
      "done\n",
  };
  for (const char* e : expected) EXPECT_NE(out.find(e), std::string::npos) << "missing: " << e << "\n" << out;
}

// A kill -9 while a POST waits for its answer (the server counted it): after the restart the
// request is sent again (the server counts 2 and the program gets the second answer), or, with
// setOnce(1), it is not (the program gets "interrupted by a restart" and the server still counts 1).
class HttpRestart : public HttpPrograms {
 protected:
  std::string server_count() {
    auto client = host::start_http_client();
    std::promise<std::string> body;
    host::HttpRequest rq;
    rq.url = server_.base() + "/count";
    client->start(rq, [&](host::HttpResult r) { body.set_value(r.ok() ? r.response.body : "error " + r.message); });
    return body.get_future().get();
  }
  // Returns the output of the run after the restart.
  std::string kill_while_waiting_and_resume(bool once) {
    std::string world = (dir_ / "restart.img").string();
    std::vector<std::string> args = {"phantom", "run", "--world", world, "--arena-size", "64M", "--boot", ".test.http_restart",
                                     "--classpath", (dir_ / "classes").string(), "--interval", "100",
                                     "--env", "BASE=" + server_.base(), "--env", std::string("ONCE=") + (once ? "yes" : "no")};
    test::Child child = test::spawn_child(PHANTOM_BINARY, args, true);
    std::string out;
    EXPECT_TRUE(test::read_until(child.out, out, "sending\n", 20000)) << out;
    // The request is released only after the snapshot holding the waiting thread committed: once the
    // server has counted it, a kill restores a world that is waiting for its answer.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (server_count() != "1" && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(server_count(), "1");
    ::kill(child.pid, SIGKILL);
    ::waitpid(child.pid, nullptr, 0);
    out += test::drain(child.out);
    EXPECT_EQ(out.find("answer"), std::string::npos) << "the answer came before the kill\n" << out;
    auto resumed = test::run_shell("timeout 60 " + std::string(PHANTOM_BINARY) + " run --world " + world + " 2>&1");
    EXPECT_EQ(resumed.status, 0) << resumed.out;
    return resumed.out;
  }
};

TEST_F(HttpRestart, ARequestWaitingAtAKillIsSentAgainAfterTheRestart) {
  std::string out = kill_while_waiting_and_resume(false);
  EXPECT_NE(out.find("answer counted 2\ndone\n"), std::string::npos) << out;
  EXPECT_EQ(server_count(), "2");
}

TEST_F(HttpRestart, AOnceRequestWaitingAtAKillIsNotSentAgain) {
  std::string out = kill_while_waiting_and_resume(true);
  EXPECT_NE(out.find("error http: POST " + server_.base() + "/slowcounted: interrupted by a restart while waiting for the "
                     "answer; not sent again (the server may or may not have received it)\ndone\n"),
            std::string::npos) << out;
  EXPECT_EQ(server_count(), "1");
}

}  // namespace
}  // namespace phantom
