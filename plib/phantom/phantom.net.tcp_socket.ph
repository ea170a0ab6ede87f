// .phantom.net.tcp_socket: a TCP stream (docs/network.md "Sockets"). Errors are thrown as strings
// naming the operation, the peer and the reason: "tcp 127.0.0.1:1883: connection refused". After a
// restart of the world an open stream is closed, and its next operation throws
// "tcp 127.0.0.1:1883: connection lost by restart"; connect again.
package .phantom.net;

class tcp_socket
{
    var s : .internal.tcp;

    // Waits until connected to host ("localhost", "1.2.3.4", "::1") at port, or throws.
    void connect(var host : string, var port : int)
    {
        if (s == null) s = new .internal.tcp();
        if (host.strstr(":") >= 0) s.connect("[" + host + "]:" + port);
        else s.connect(host + ":" + port);
    }

    // Queues every byte of data. It is sent once the snapshot holding the state behind it has
    // committed, unless setImmediate(1) was called.
    void send(var data : string) { sock().send(data); }

    // Waits for 1..max bytes; "" at the end of the stream.
    string receive(var max : int) { return sock().recv(max); }

    // 1: sends go out at once (a restart may then repeat work whose answer was already sent).
    void setImmediate(var on : int) { sock().setImmediate(on); }

    void close() { if (s != null) s.disconnect(); }

    int isOpen()
    {
        if (s == null) return 0;
        return s.status(1);
    }

    // "127.0.0.1:1883"
    string peerAddress() { return sock().status(0); }

    // For tcp_server.accept: a socket around a stream the listener took.
    void adopt(var stream : .internal.tcp) { s = stream; }

    .internal.tcp sock()
    {
        if (s == null) throw "tcp: not connected (call connect first)";
        return s;
    }
};
