// .phantom.net.http_client and .phantom.net.http_response: HTTP/1.1 and HTTPS requests from a world
// (docs/network.md "HTTP client"), over the `url:` connection (op 1, a full request).
//
//   var http : .phantom.net.http_client = new .phantom.net.http_client();
//   var r : .phantom.net.http_response = http.get("http://127.0.0.1:8080/value");
//   if (r.getStatus() == 200) ... r.getBody() ... r.header("Content-Type") ...
//   r = http.post("http://127.0.0.1:8080/inc", "{}", "application/json");
//
// Any status the server answers is a response (check getStatus()); a request that got no answer
// (refused, timed out, a name that does not resolve, TLS, too large, too many redirects, a --connect
// rule) throws a string "http: GET URL: ..." that says why. Only the calling VM thread waits.
//
// A request leaves once the snapshot holding its thread waiting for it has committed (setImmediate(1):
// at once). After a restart, a request that was waiting for its answer is sent again from the start: a
// GET is repeated, and a POST may reach the server twice; setOnce(1) makes it throw instead
// (docs/network.md, "What a restart does to a request").
package .phantom.net;

class http_response extends .internal.object
{
    var status : int;
    var reason : string;
    var headers : .internal.directory;
    var body : string;
    var url : string;

    void http_response(var d : .internal.directory)
    {
        status = (int) d.get("status");
        reason = (string) d.get("reason");
        headers = (.internal.directory) d.get("headers");
        body = (string) d.get("body");
        url = (string) d.get("url");
    }

    int getStatus() { return status; }
    string getReason() { return reason; }
    string getBody() { return body; }
    // Where the answer came from, after redirects.
    string getUrl() { return url; }
    // Every header: names in lower case, a repeated header's values joined with ", ".
    .internal.directory getHeaders() { return headers; }

    // The value of header `name` (any case), or null.
    string header(var name : string)
    {
        var lower : string;
        var i : int;
        var ch : int;
        lower = "";
        i = 0;
        while (i < name.length())
        {
            ch = name.charAt(i);
            if (ch >= 65 && ch <= 90) lower = lower + "abcdefghijklmnopqrstuvwxyz".substring(ch - 65, 1);
            else lower = lower + name.substring(i, 1);
            i = i + 1;
        }
        return (string) headers.get(lower);
    }

    string toString() { return "" + status + " " + reason; }
};

class http_client extends .internal.object
{
    var timeout : int;
    var redirects : int;
    var maxSize : int;
    var once : int;
    var immediate : int;
    var intClass : .internal.object;

    void http_client()
    {
        var o : .internal.object;
        timeout = 30000;
        redirects = 5;
        maxSize = 16777216;
        o = 0;
        intClass = o.getClass();
    }

    // The longest a request may take, redirects included (milliseconds, 1 to 600000; default 30000).
    void setTimeout(var ms : int) { timeout = ms; }
    // How many redirects are followed (0: a 3xx is the response; default 5).
    void setRedirects(var n : int) { redirects = n; }
    // The longest body accepted (bytes; default 16 MiB, at most 256 MiB); a longer one throws.
    void setMaxSize(var bytes : int) { maxSize = bytes; }
    // 1: a request that a restart interrupted is not sent again; it throws "... interrupted by a
    // restart ..." instead (at most once). 0 (the default): it is sent again (at least once).
    void setOnce(var on : int) { once = on; }
    // 1: requests leave at once, not after the next snapshot commits (see docs/network.md).
    void setImmediate(var on : int) { immediate = on; }

    http_response get(var url : string)
    {
        var noBody : string;  // null, but typed: a bare null does not match request's string parameter
        return request("GET", url, null, noBody);
    }

    http_response post(var url : string, var body : string, var contentType : string)
    {
        var h : .internal.directory;
        h = new .internal.directory();
        if (contentType :!= null) h.put("Content-Type", contentType);
        return request("POST", url, h, body);
    }

    // `headers`: a .internal.directory of name -> value strings, a string of "Name: value" lines, or
    // null; `body`: a string or null.
    http_response request(var method : string, var url : string, var headers : .internal.object, var body : string)
    {
        var c : .internal.connection;
        var rq : .internal.directory;
        var r : .internal.object;
        var why : string;
        if (method :== null || url :== null) throw "http: the method and the URL must not be null";
        c = new .internal.connection();
        if (c.connect("url:" + url) != 0) throw "http: " + method + " " + c.lastError();
        rq = new .internal.directory();
        rq.put("method", method);
        if (headers :!= null) rq.put("headers", headers);
        if (body :!= null) rq.put("body", body);
        rq.put("timeout", timeout);
        rq.put("redirects", redirects);
        rq.put("maxSize", maxSize);
        rq.put("once", once);
        rq.put("immediate", immediate);
        r = c.block(rq, 1);
        why = c.lastError();
        c.disconnect();
        // An int is an error number (the answer is otherwise a directory); lastError() says why.
        if (r.getClass() :== intClass) throw "http: " + method + " " + why;
        return new http_response((.internal.directory) r);
    }
};
