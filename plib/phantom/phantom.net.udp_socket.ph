// .phantom.net.udp_socket: a UDP socket (docs/network.md "Sockets"). After a restart it is bound again
// to the same address and port; datagrams that arrived but were not received are lost, as UDP may
// lose them anyway.
package .phantom.net;

class udp_socket
{
    var s : .internal.udp;

    // address: "127.0.0.1", "::1", "0.0.0.0" (needs --listen); port 0: any free port.
    void bind(var address : string, var port : int)
    {
        s = new .internal.udp();
        if (address.strstr(":") >= 0) s.bind("[" + address + "]:" + port);
        else s.bind(address + ":" + port);
    }

    int localPort() { return sock().localPort(); }

    // Sent once the state behind it is durable (committed), unless setImmediate(1).
    void sendTo(var host : string, var port : int, var data : string)
    {
        if (host.strstr(":") >= 0) sock().sendTo("[" + host + "]:" + port, data);
        else sock().sendTo(host + ":" + port, data);
    }

    // Waits for one datagram.
    string receive() { return sock().recv(); }

    // "127.0.0.1:5000" of the last datagram received.
    string lastSender() { return sock().lastSender(); }

    void setImmediate(var on : int) { sock().setImmediate(on); }

    void close() { if (s != null) s.close(); }

    .internal.udp sock()
    {
        if (s == null) throw "udp: not bound (call bind first)";
        return s;
    }
};
