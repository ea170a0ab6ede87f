#!/usr/bin/env python3
# The HTTP server the HTTP client tests talk to (tests/net_client/http_client_test.cc): Python's
# http.server on 127.0.0.1, a free port chosen by the kernel and printed as "port N" on the first line.
# It ends when its standard input closes, so it never outlives the test that started it.
#
#   GET  /hello          200 "hello from python"
#   GET  /json           200 a JSON document (application/json)
#   GET  /headers        200 "x-test=<the X-Test header>;user-agent=<...>"
#   GET  /redirect       302 to /hello
#   GET  /loop           302 to /loop (a redirect loop)
#   GET  /slow           200 after 3 s (timeouts)
#   GET  /big            200, 200000 bytes of "x"
#   GET  /missing        404 "no such page"
#   POST /echo           200 the request's body; X-Echo-Type: the request's Content-Type
#   any  /method         200 the method's name
#   GET  /count          200 how many requests /counted and /slowcounted have had (restart tests)
#   any  /counted        200 "counted N" after counting this one
#   any  /slowcounted    counts at once, answers "counted N" 2 s later (a kill while it waits)
import http.server
import json
import os
import sys
import threading
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    counted = 0
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def answer(self, status, body, content_type="text/plain", extra=()):
        data = body if isinstance(body, bytes) else body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def route(self):
        path = self.path
        if path == "/method":
            self.body()
            return self.answer(200, self.command)
        if path in ("/counted", "/slowcounted"):
            self.body()
            with Handler.lock:
                Handler.counted += 1
                n = Handler.counted
            if path == "/slowcounted":
                time.sleep(2)
            return self.answer(200, "counted %d" % n)
        if self.command == "POST" and path == "/echo":
            return self.answer(200, self.body(), extra=[("X-Echo-Type", self.headers.get("Content-Type", ""))])
        if self.command != "GET":
            self.body()
            return self.answer(405, "method not allowed")
        if path == "/hello":
            return self.answer(200, "hello from python")
        if path == "/json":
            doc = {"name": "phantom", "n": 3, "list": [1, 2.5, True, None], "nested": {"k": "v"}}
            return self.answer(200, json.dumps(doc), "application/json")
        if path == "/headers":
            return self.answer(200, "x-test=%s;user-agent=%s" % (self.headers.get("X-Test", ""),
                                                                 self.headers.get("User-Agent", "")))
        if path == "/redirect":
            return self.answer(302, "", extra=[("Location", "/hello")])
        if path == "/loop":
            return self.answer(302, "", extra=[("Location", "/loop")])
        if path == "/slow":
            time.sleep(3)
            return self.answer(200, "slow")
        if path == "/big":
            return self.answer(200, "x" * 200000)
        if path == "/count":
            return self.answer(200, str(Handler.counted))
        return self.answer(404, "no such page")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = route


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that went away (a killed world, a timeout) is expected here


def main():
    server = Server(("127.0.0.1", 0), Handler)
    print("port %d" % server.server_address[1], flush=True)

    def watch_stdin():
        sys.stdin.read()
        os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
