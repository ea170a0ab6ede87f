// The HTTP client test's programs (http_client_test.cc). Each boot class prints one line per check;
// the test compares them. BASE (the test server, "http://127.0.0.1:PORT") and DEAD (a URL where
// nothing listens) come from the kernel environment (phantom run --env).
package .test;

class net_base
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    string env(var name : string)
    {
        var all : string[];
        var i : int;
        all = b.getKernelEnvironment();
        i = 0;
        while (i < all.size())
        {
            if (all[i].strstr(name + "=") == 0) return all[i].substring(name.length() + 1, all[i].length() - name.length() - 1);
            i = i + 1;
        }
        return "";
    }
};

// GET, POST, request headers, redirects, a 404 and other methods through .phantom.net.http_client.
class http_basic extends net_base
{
    void startup(var boot : .internal.bootstrap) [8]
    {
        var http : .phantom.net.http_client;
        var r : .phantom.net.http_response;
        var h : .internal.directory;
        var base : string;
        var nobody : string;  // a typed null: a bare null does not match a string parameter
        b = boot;
        base = env("BASE");
        http = new .phantom.net.http_client();

        r = http.get(base + "/hello");
        p("get " + r.getStatus() + " " + r.getReason() + " [" + r.getBody() + "] type=" + r.header("Content-Type"));

        r = http.post(base + "/echo", "{\"x\": 1}", "application/json");
        p("post " + r.getStatus() + " [" + r.getBody() + "] type=" + r.header("x-echo-type"));

        h = new .internal.directory();
        h.put("X-Test", "from phantom");
        r = http.request("GET", base + "/headers", h, nobody);
        p("headers " + r.getStatus() + " [" + r.getBody() + "]");

        r = http.request("GET", base + "/headers", "X-Test: as lines\r\n", nobody);
        p("header lines [" + r.getBody() + "]");

        r = http.get(base + "/redirect");
        p("redirect " + r.getStatus() + " [" + r.getBody() + "] at " + r.getUrl().substring(base.length(), r.getUrl().length() - base.length()));

        http.setRedirects(0);
        r = http.get(base + "/redirect");
        p("not followed " + r.getStatus() + " location=" + r.header("Location"));
        http.setRedirects(5);

        r = http.get(base + "/missing");
        p("missing " + r.getStatus() + " " + r.getReason() + " [" + r.getBody() + "]");

        r = http.request("PUT", base + "/method", null, "data");
        p("put [" + r.getBody() + "]");
        r = http.request("DELETE", base + "/method", null, nobody);
        p("delete [" + r.getBody() + "]");

        r = http.get("http://localhost:" + base.substring(17, base.length() - 17) + "/hello");
        p("localhost " + r.getStatus() + " [" + r.getBody() + "]");
        p("done");
    }
};

// Requests that get no answer: each throws a string that says why.
class http_errors extends net_base
{
    var http : .phantom.net.http_client;

    void attempt(var label : string, var url : string)
    {
        var r : .phantom.net.http_response;
        try
        {
            r = http.get(url);
            p(label + ": no error, status " + r.getStatus());
        }
        catch (string e)
        {
            p(label + ": " + e);
        }
    }

    void startup(var boot : .internal.bootstrap) [8]
    {
        var base : string;
        b = boot;
        base = env("BASE");
        http = new .phantom.net.http_client();
        attempt("refused", env("DEAD") + "/x");
        http.setTimeout(500);
        attempt("timeout", base + "/slow");
        http.setTimeout(30000);
        http.setMaxSize(1000);
        attempt("large", base + "/big");
        http.setMaxSize(16777216);
        attempt("loop", base + "/loop");
        attempt("scheme", "ftp://127.0.0.1/x");
        attempt("still fine", base + "/hello");
        p("done");
    }
};

// The layer below: a url: connection's op 0 (the original's GET) and .internal.tcp.curl.
class url_raw extends net_base
{
    void startup(var boot : .internal.bootstrap) [8]
    {
        var c : .internal.connection;
        var t : .internal.tcp;
        var base : string;
        var s : string;
        b = boot;
        base = env("BASE");
        c = new .internal.connection();
        p("connect " + c.connect("url:" + base + "/json"));
        s = (string) c.block(null, 0);
        p("op0 [" + s + "] error=[" + c.lastError() + "]");
        c.disconnect();
        c.connect("url:" + base + "/missing");
        s = (string) c.block(null, 0);
        p("op0 404 [" + s + "] error=[" + c.lastError() + "]");
        c.disconnect();
        c.connect("url:" + env("DEAD") + "/x");
        s = (string) c.block(null, 0);
        p("op0 refused [" + s + "] error has refused: " + (c.lastError().strstr("connection refused") >= 0));
        c.disconnect();
        p("connect ftp " + c.connect("url:ftp://example.org/") + " " + c.lastError());

        t = new .internal.tcp();
        s = t.curl(base + "/hello", "");
        p("curl [" + s + "]");
        s = t.curl(base + "/headers", "X-Test: curl header\r\n");
        p("curl headers [" + s.substring(0, s.strstr(";")) + "]");
        s = t.curl(env("DEAD") + "/x", "");
        p("curl refused [" + s + "]");
        p("done");
    }
};

// Two VM threads: a request that takes 3 s does not hold up the other thread's requests.
class http_parallel extends net_base
{
    var slow : int;

    void startup(var boot : .internal.bootstrap) [8]
    {
        var t : http_parallel_slow;
        b = boot;
        t = new http_parallel_slow();
        t.init(b, env("BASE"));
        b.startThread(t);
        b.startThread(new http_parallel_fast().init(b, env("BASE")));
    }
};

class http_parallel_slow extends net_base
{
    var base : string;
    http_parallel_slow init(var boot : .internal.bootstrap, var url : string) { b = boot; base = url; return this; }
    void run(var x) [8]
    {
        var r : .phantom.net.http_response;
        r = new .phantom.net.http_client().get(base + "/slow");
        p("slow " + r.getBody());
    }
};

class http_parallel_fast extends net_base
{
    var base : string;
    http_parallel_fast init(var boot : .internal.bootstrap, var url : string) { b = boot; base = url; return this; }
    void run(var x) [8]
    {
        var r : .phantom.net.http_response;
        var i : int;
        b.sleep(300);  // the slow request is on its way
        i = 0;
        while (i < 5)
        {
            r = new .phantom.net.http_client().get(base + "/hello");
            i = i + 1;
        }
        p("fast " + i + " " + r.getBody());
    }
};

// JSON: parse and stringify round trips, the mapping of kinds, escaping, malformed input, nesting.
class json_checks extends net_base
{
    var j : .phantom.net.json;

    void bad(var text : string)
    {
        try { j.parse(text); p("no error for " + text); }
        catch (string e) { p(e); }
    }

    void startup(var boot : .internal.bootstrap) [8]
    {
        var d : .internal.directory;
        var a : .internal.object[];
        var text : string;
        var deep : string;
        var i : int;
        b = boot;
        j = new .phantom.net.json();

        text = "{\"name\": \"phantom\", \"n\": 3, \"big\": 5000000000, \"pi\": 2.5, \"list\": [1, true, false, null, \"x\"], \"nested\": {\"k\": []}}";
        d = (.internal.directory) j.parse(text);
        p("stringify " + j.stringify(d));
        p("again " + j.stringify(j.parse(j.stringify(d))));
        a = (.internal.object[]) d.get("list");
        p("n+1 " + (1 + (int) d.get("n")) + " list size " + a.size() + " true " + a[1]);

        d = new .internal.directory();
        d.put("quote\"back\\slash", "line\nbreak\ttab\r\b");
        d.put("utf8", "hé");
        text = j.stringify(d);
        p("escaped " + text);
        d = (.internal.directory) j.parse(text);
        p("back " + j.stringify(d));
        p("unicode escape " + j.stringify(j.parse("\"\\u00e9\\u0041\"")));
        p("top-level scalars " + j.stringify(j.parse("42")) + " " + j.stringify(j.parse("-2147483649")) + " " + j.stringify(j.parse("\"s\"")) + " " + j.stringify(j.parse("null")));

        bad("{\"a\": 1,}");
        bad("{\"a\" 1}");
        bad("[1, 2");
        bad("");
        bad("[1]\n  x");
        deep = "";
        i = 0;
        while (i < 300) { deep = deep + "["; i = i + 1; }
        bad(deep);
        try { j.stringify(new net_base()); } catch (string e) { p(e); }
        p("done");
    }
};

// One POST to /slowcounted (the server counts it at once and answers 2 s later); the test kills the
// world while it waits and restarts it. ONCE=1 asks for at most once.
class http_restart extends net_base
{
    void startup(var boot : .internal.bootstrap) [8]
    {
        var http : .phantom.net.http_client;
        var r : .phantom.net.http_response;
        b = boot;
        http = new .phantom.net.http_client();
        http.setOnce(env("ONCE").equals("yes"));
        p("sending");
        try
        {
            r = http.post(env("BASE") + "/slowcounted", "x", "text/plain");
            p("answer " + r.getBody());
        }
        catch (string e)
        {
            p("error " + e);
        }
        p("done");
    }
};
