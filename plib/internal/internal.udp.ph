// .internal.udp (pvm.md §4.3.10; subsystems.md §4): a UDP socket, served by the udp: connection
// backend (docs/network.md). The original wired this class to the tcp table, so recvFrom threw and
// sendTo panicked the VM; here it has its own. Every failure throws a string naming the reason.
package .internal;

class udp
{
    // A port (int: on 127.0.0.1) or "ADDR:PORT" (PORT 0: any free port).
    int bind(var address : .internal.object) [16] {}
    int close() [17] {}
    int localPort() [18] {}
    // Sends to the sender of the last datagram received.
    int send(var data : string) [19] {}
    // 0 committed (the default), 1 immediate; returns the previous mode.
    int setImmediate(var on : int) [20] {}
    // Waits for one datagram.
    string recv() [21] {}
    // "127.0.0.1:5000" of the last datagram received.
    string lastSender() [22] {}
    // Waits for one datagram; when addr is an array, the sender goes to its element 0.
    .internal.object recvFrom(var addr : .internal.object) [23] {}
    // addr is "HOST:PORT".
    int sendTo(var addr : .internal.object, var data : .internal.object) [25] {}
};
