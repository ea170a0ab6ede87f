// Counter service: an HTTP service whose only state is an object in the world (examples/counter-service/
// README.md). GET /value answers {"value":N}; POST /inc adds 1 and POST /add?n=K adds K, each answering
// the new value. Nothing is ever saved: kill the process at any moment, run it again, and the value is
// still there; every answer a client received is for a change that was durable before it was sent.
//
// Settings from the kernel environment of a new world (phantom run --env NAME=VALUE): PORT (default
// 8080; 0 picks a free one), IMMEDIATE=1 to send answers before they are durable (for comparison).
package .examples;

import .phantom.net.http_server;
import .phantom.net.http_router;

class counter_service
{
    var boot : .internal.bootstrap;
    var value : .internal.long;
    var env : string[];

    void startup(var b : .internal.bootstrap) [8]
    {
        var router : .phantom.net.http_router;
        var server : .phantom.net.http_server;
        boot = b;
        value = 0L;  // the boot object is made without its constructor
        env = boot.getKernelEnvironment();
        router = new .phantom.net.http_router();
        router.get("/value", new counter_value(this));
        router.post("/inc", new counter_add(this, 0));
        router.post("/add", new counter_add(this, 1));
        server = new .phantom.net.http_server();
        server.listen("127.0.0.1", setting("PORT", "8080").toInt());
        if (setting("IMMEDIATE", "0") == "1") server.setImmediate(1);
        boot.consolePrint("counter service: listening on 127.0.0.1:" + server.port() + "\n");
        server.serve(router);  // forever; after a restart this thread continues in here
    }

    .internal.long add(var n : int) { value = value + n; return value; }
    .internal.long current() { return value; }

    // The value of NAME in the kernel environment, or `fallback`.
    string setting(var name : string, var fallback : string)
    {
        var prefix : string = name + "=";
        foreach (e in env)
            if (e.length() >= prefix.length() && e.substring(0, prefix.length()) == prefix)
                return e.substring(prefix.length(), e.length() - prefix.length());
        return fallback;
    }
};

// GET /value
class counter_value extends .phantom.net.http_handler
{
    var service : counter_service;

    void counter_value(var s : counter_service) { service = s; }

    .phantom.net.http_reply handle(var request : .phantom.net.http_request)
    {
        return new .phantom.net.http_reply().json("{\"value\":" + service.current() + "}\n");
    }
};

// POST /inc (byParameter 0) and POST /add?n=K (byParameter 1)
class counter_add extends .phantom.net.http_handler
{
    var service : counter_service;
    var byParameter : int;

    void counter_add(var s : counter_service, var p : int) { service = s; byParameter = p; }

    .phantom.net.http_reply handle(var request : .phantom.net.http_request)
    {
        var n : int = 1;
        var text : string;
        if (byParameter)
        {
            text = request.param("n");
            if (text :== null || text.length() == 0 || text.length() > 9)
                return new .phantom.net.http_reply().status(400).text("POST /add needs ?n=K, K an integer of at most 9 digits\n");
            n = text.toInt();
            if (n == 0 && text != "0")
                return new .phantom.net.http_reply().status(400).text("n=" + text + " is not an integer\n");
        }
        return new .phantom.net.http_reply().json("{\"value\":" + service.add(n) + "}\n");
    }
};
