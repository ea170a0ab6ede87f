// .phantom.net.tcp_server: a listening TCP socket (docs/network.md "Sockets"). A world listens only on
// loopback unless `phantom run --listen ADDR:PORT` allows more. After a restart the server listens
// again on the same address and port, and a thread waiting in accept keeps waiting.
package .phantom.net;

class tcp_server
{
    var s : .internal.tcp;

    // address: "127.0.0.1", "::1", "0.0.0.0" (needs --listen); port 0: any free port (localPort says which).
    void listen(var address : string, var port : int)
    {
        s = new .internal.tcp();
        if (address.strstr(":") >= 0) s.connect("listen:[" + address + "]:" + port);
        else s.connect("listen:" + address + ":" + port);
    }

    int localPort() { return sock().localPort(); }

    // Waits for the next connection.
    .phantom.net.tcp_socket accept()
    {
        var t : .phantom.net.tcp_socket;
        t = new .phantom.net.tcp_socket();
        t.adopt(sock().accept());
        return t;
    }

    void close() { if (s != null) s.disconnect(); }

    .internal.tcp sock()
    {
        if (s == null) throw "tcp: not listening (call listen first)";
        return s;
    }
};
