// .phantom.net.http_reply: the answer a program gives to an http_request (docs/network.md "HTTP
// server"). A status, header fields and a body; the server adds Content-Length and Connection itself
// (setting them here is refused), so a reply can never be framed wrongly.
//
//   return new .phantom.net.http_reply().json("{\"value\":" + n + "}");
//   return new .phantom.net.http_reply().status(404).text("no such thing\n");
package .phantom.net;

class http_reply extends .internal.object
{
    var replyStatus : int;
    var replyHeaders : string[];
    var replyBody : string;

    void http_reply() { replyStatus = 200; replyHeaders = new string[](); replyBody = ""; }

    http_reply status(var code : int) { replyStatus = code; return this; }
    // Adds a header field (a name may be given more than once).
    http_reply header(var name : string, var value : string)
    {
        var n : int = replyHeaders.size();
        replyHeaders[n] = name;
        replyHeaders[n + 1] = value;
        return this;
    }
    http_reply body(var text : string) { replyBody = text; return this; }
    // The body, as text/plain.
    http_reply text(var text : string) { replyBody = text; return header("Content-Type", "text/plain; charset=utf-8"); }
    // The body, as application/json.
    http_reply json(var text : string) { replyBody = text; return header("Content-Type", "application/json"); }

    int getStatus() { return replyStatus; }
    string getBody() { return replyBody; }

    // What `web:` takes: [id, status, headers, body].
    .internal.object[] wire(var id : int)
    {
        var a : .internal.object[] = new .internal.object[]();
        a[0] = id;
        a[1] = replyStatus;
        a[2] = replyHeaders;
        a[3] = replyBody;
        return a;
    }

    string toString() { return "" + replyStatus + " (" + replyBody.length() + " bytes)"; }
};
