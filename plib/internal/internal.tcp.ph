// .internal.tcp (pvm.md §4.3.10; subsystems.md §4): a TCP stream or listener, served by the tcp:
// connection backend (docs/network.md). Every failure throws a string naming the operation, the peer
// and the reason ("tcp 127.0.0.1:1883: connection refused"). connect, send, recv and accept are the
// original's ordinals (which only threw there); localPort, setImmediate and status are ours; curl is
// the HTTP client's.
package .internal;

class tcp
{
    // "HOST:PORT" (HOST a name, 1.2.3.4 or [::1]) connects and waits until connected;
    // "listen:ADDR:PORT" listens (PORT 0: any free port).
    int connect(var address : string) [16] {}
    int disconnect() [17] {}
    int localPort() [18] {}
    // Queues every byte; sent once the state behind it is durable, unless setImmediate(1).
    int send(var data : string) [19] {}
    // 0 committed (the default), 1 immediate; returns the previous mode.
    int setImmediate(var on : int) [20] {}
    // Waits for 1..max bytes; "" at the end of the stream.
    string recv(var max : int) [21] {}
    // 0: the peer's address ("127.0.0.1:1883"); 1: 1 while the stream can still be used.
    .internal.object status(var which : int) [22] {}
    // A listener: waits for the next connection.
    .internal.tcp accept() [23] {}
    string curl(var url : string, var headers : string) [24] {}
};
