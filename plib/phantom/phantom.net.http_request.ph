// .phantom.net.http_request: one request to an .phantom.net.http_server, as the host parsed it
// (docs/network.md "HTTP server"). The host has already checked its framing and limits; a program
// sees only complete, well-formed requests.
package .phantom.net;

class http_request extends .internal.object
{
    var requestId : int;
    var requestMethod : string;
    var requestPath : string;
    var requestQuery : string;
    var requestHeaders : .internal.directory;
    var requestBody : string;

    void http_request() {}

    // From what `web:` gives: [id, method, path, query, headers, body] (web_backend.cc).
    void fill(var parts : .internal.object[])
    {
        requestId = (int) parts[0];
        requestMethod = (string) parts[1];
        requestPath = (string) parts[2];
        requestQuery = (string) parts[3];
        requestHeaders = (.internal.directory) parts[4];
        requestBody = (string) parts[5];
    }

    // The server's number for this request (its answer goes to the same id).
    int id() { return requestId; }
    // "GET", "POST"... as the client sent it.
    string method() { return requestMethod; }
    // "/add" (still percent-encoded, without the query).
    string path() { return requestPath; }
    // "n=5&x=1" (the raw text after '?'), "" when none.
    string query() { return requestQuery; }
    // The body ("" when none; a chunked upload arrives already joined).
    string body() { return requestBody; }
    // Every header: names in lower case, a repeated header's values joined with ", ".
    .internal.directory headers() { return requestHeaders; }

    // The value of header `name` (any case), or null.
    string header(var name : string)
    {
        var lower : string = "";
        var i : int = 0;
        var ch : int;
        while (i < name.length())
        {
            ch = name.charAt(i);
            if (ch >= 65 && ch <= 90) lower = lower + "abcdefghijklmnopqrstuvwxyz".substring(ch - 65, 1);
            else lower = lower + name.substring(i, 1);
            i = i + 1;
        }
        return (string) requestHeaders.get(lower);
    }

    // The value of query parameter `name` ("5" for n in "n=5&x=1"), "" for a name without "=", or
    // null when absent. Raw: percent-escapes are not decoded.
    string param(var name : string)
    {
        var q : string = requestQuery;
        var start : int = 0;
        var end : int;
        var item : string;
        var eq : int;
        while (start <= q.length())
        {
            end = q.substring(start, q.length() - start).strstr("&");
            if (end < 0) end = q.length(); else end = start + end;
            item = q.substring(start, end - start);
            eq = item.strstr("=");
            if (eq < 0) { if (item == name) return ""; }
            else if (item.substring(0, eq) == name) return item.substring(eq + 1, item.length() - eq - 1);
            start = end + 1;
        }
        return null;
    }

    string toString() { return requestMethod + " " + requestPath; }
};
