// .phantom.net.http_router and .phantom.net.http_handler: requests to handlers by method and path
// (docs/network.md "HTTP server"); a handler is a class that extends http_handler and overrides handle.
//
//   router = new .phantom.net.http_router();
//   router.get("/value", new value_handler(this));
//   router.post("/inc", new inc_handler(this));
//   router.add("GET", "/static/*", files);     // "/*" at the end: every path under /static/
//
// A path no route names answers 404; a path that has routes, but not for this method, answers 405
// with an Allow header. Routes are tried in the order they were added.
package .phantom.net;

// What a route runs: extend it and override handle.
class http_handler extends .internal.object
{
    void http_handler() {}

    http_reply handle(var request : http_request)
    {
        return new http_reply().status(501).text("this handler does not override handle\n");
    }
};

class http_router extends .internal.object
{
    var methods : string[];
    var paths : string[];
    var handlers : http_handler[];
    var n : int;

    void http_router() { methods = new string[](); paths = new string[](); handlers = new http_handler[](); n = 0; }

    http_router add(var method : string, var path : string, var handler : http_handler)
    {
        methods[n] = method;
        paths[n] = path;
        handlers[n] = handler;
        n = n + 1;
        return this;
    }
    http_router get(var path : string, var handler : http_handler) { return add("GET", path, handler); }
    http_router post(var path : string, var handler : http_handler) { return add("POST", path, handler); }
    http_router put(var path : string, var handler : http_handler) { return add("PUT", path, handler); }

    // Whether route pattern `pattern` covers `path`.
    int matches(var pattern : string, var path : string)
    {
        var stem : int = pattern.length() - 1;
        if (pattern == path) return 1;
        if (stem >= 1 && pattern.charAt(stem) == 42 && pattern.charAt(stem - 1) == 47)  // ends in "/*"
            return path.length() >= stem && path.substring(0, stem) == pattern.substring(0, stem);
        return 0;
    }

    // The reply of the handler for `request`, or 404 / 405.
    http_reply route(var request : http_request)
    {
        var i : int = 0;
        var allow : string = "";
        var m : string = request.method();
        while (i < n)
        {
            if (matches(paths[i], request.path()))
            {
                if (methods[i] == m || (m == "HEAD" && methods[i] == "GET")) return handlers[i].handle(request);
                if (allow.length() > 0) allow = allow + ", ";
                allow = allow + methods[i];
            }
            i = i + 1;
        }
        if (allow.length() > 0)
            return new http_reply().status(405).header("Allow", allow).text("method " + m + " not allowed on " + request.path() + "\n");
        return new http_reply().status(404).text("no route for " + m + " " + request.path() + "\n");
    }
};
