// .phantom.net.http_server: an HTTP/1.1 server in a persistent world (docs/network.md "HTTP
// server"), over the `web:` connection: the host accepts connections and parses requests; the world
// only answers them.
//
//   var server : .phantom.net.http_server = new .phantom.net.http_server();
//   server.listen("127.0.0.1", 8080);
//   server.serve(router);                      // forever: next request, route, answer
//
// Answers are output-committed by default: one leaves the process only once a snapshot holding the
// state that produced it has committed, so a client that got an answer knows it is durable.
// setImmediate(1) sends at once instead (faster, but an answered change can be lost by a crash).
// After a restart the server listens again on the same address and port; requests that were not
// answered are gone with their connections, and their clients see the connection closed.
package .phantom.net;

class http_server extends .internal.object
{
    var c : .internal.connection;
    var intClass : .internal.object;
    var served : int;

    void http_server() { var o : .internal.object; o = 0; intClass = o.getClass(); }

    // address: "127.0.0.1", "::1", "localhost" (others need `phantom run --listen`); port 0: any
    // free port (port() says which). Throws a string saying why when it cannot listen.
    void listen(var address : string, var port : int)
    {
        var name : string;
        if (address.strstr(":") >= 0) name = "web:[" + address + "]:" + port;
        else name = "web:" + address + ":" + port;
        c = new .internal.connection();
        if (c.connect(name) != 0) throw "http server: " + c.lastError();
    }

    // The port the server listens on.
    int port() { return (int) conn().block(null, 3); }

    // 1: answers leave at once; 0 (the default): once durable.
    void setImmediate(var on : int) { conn().block(on, 2); }

    // Waits for the next request.
    http_request next()
    {
        var r : .internal.object = conn().block(null, 0);
        var req : http_request;
        if (r.getClass() :== intClass) throw "http server: " + c.lastError();
        req = new http_request();
        req.fill((.internal.object[]) r);
        return req;
    }

    // Sends `reply` as the answer to `request`. Returns 0, or -57 when the request's client is gone
    // (it closed its connection, or a restart lost it): nobody is left to tell, so that is no error.
    // A malformed reply (a status outside 200..599, a header with CR or LF, Content-Length) throws.
    int answer(var request : http_request, var reply : http_reply)
    {
        var r : int = (int) conn().block(reply.wire(request.id()), 1);
        if (r == -22) throw "http server: " + c.lastError();
        return r;
    }

    // Answers requests with `router` forever. A handler that throws answers 500 with the reason.
    void serve(var router : http_router)
    {
        var req : http_request;
        var reply : http_reply;
        while (1)
        {
            req = next();
            try { reply = router.route(req); }
            catch (string e) { reply = new http_reply().status(500).text("error: " + e + "\n"); }
            if (reply :== null) reply = new http_reply().status(500).text("the handler gave no reply\n");
            try { answer(req, reply); }
            catch (string bad) { answer(req, new http_reply().status(500).text("bad reply: " + bad + "\n")); }
            served = served + 1;
        }
    }

    // Requests answered by serve().
    int count() { return served; }

    void close() { if (c :!= null) c.disconnect(); }

    .internal.connection conn()
    {
        if (c :== null) throw "http server: not listening (call listen first)";
        return c;
    }
};
