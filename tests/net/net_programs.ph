// The networking test's Phantom programs (net_world_test.cc). Each reads its parameters from the
// kernel environment (phantom run --env NAME=VALUE) and prints one line per event for the test to read.
package .test;

class net_env
{
    // The value of NAME in the kernel environment, "" when absent.
    string get(var b : .internal.bootstrap, var name : string)
    {
        var all : string[];
        var e : string;
        var i : int;
        all = b.getKernelEnvironment();
        i = 0;
        while (i < all.size())
        {
            e = all[i];
            if (e.strstr(name + "=") == 0) return e.substring(name.length() + 1, e.length() - name.length() - 1);
            i = i + 1;
        }
        return "";
    }
};

// A TCP echo server: listens on ADDR (default 127.0.0.1) port PORT (default 0), prints "listening P",
// then serves one connection after the other: everything received is sent back (committed, or at once
// when MODE=immediate); "served N" when a client closes. An error on a connection is printed as
// "error: ..." and the server goes on with the next one.
class net_echo_server
{
    var b : .internal.bootstrap;
    var server : .phantom.net.tcp_server;
    var served : int;

    void startup(var boot : .internal.bootstrap) [8]
    {
        var env : .test.net_env;
        var addr : string;
        var port : int;
        var c : .phantom.net.tcp_socket;
        var data : string;
        b = boot;
        env = new .test.net_env();
        addr = env.get(b, "ADDR");
        if (addr.length() == 0) addr = "127.0.0.1";
        port = env.get(b, "PORT").toInt();
        server = new .phantom.net.tcp_server();
        try { server.listen(addr, port); }
        catch (string e) { b.consolePrint("error: " + e + "\n"); return; }
        b.consolePrint("listening " + server.localPort() + "\n");
        served = 0;
        while (1)
        {
            c = server.accept();
            if (env.get(b, "MODE").equals("immediate")) c.setImmediate(1);
            try
            {
                data = c.receive(65536);
                while (data.length() > 0)
                {
                    c.send(data);
                    data = c.receive(65536);
                }
                c.close();
                served = served + 1;
                if (served % 100 == 0 || served < 10) b.consolePrint("served " + served + "\n");
            }
            catch (string e2)
            {
                b.consolePrint("error: " + e2 + "\n");
                c.close();
            }
        }
    }
};

// A TCP client: connects to HOST:PORT, sends "hello from phantom\n", prints "got: " and what comes back
// until the server closes, then "done". Errors: "error: ...".
class net_client
{
    void startup(var b : .internal.bootstrap) [8]
    {
        var env : .test.net_env;
        var c : .phantom.net.tcp_socket;
        var data : string;
        var all : string;
        env = new .test.net_env();
        c = new .phantom.net.tcp_socket();
        try
        {
            c.connect(env.get(b, "HOST"), env.get(b, "PORT").toInt());
            b.consolePrint("connected " + c.peerAddress() + "\n");
            c.send("hello from phantom\n");
            all = "";
            data = c.receive(1000);
            while (data.length() > 0)
            {
                all = all + data;
                data = c.receive(1000);
            }
            b.consolePrint("got: " + all);
            c.close();
            b.consolePrint("done\n");
        }
        catch (string e) { b.consolePrint("error: " + e + "\n"); }
    }
};

// A UDP echo: binds 127.0.0.1 port 0, prints "udp P", and sends every datagram back to its sender
// with "echo: " in front.
class net_udp_echo
{
    void startup(var b : .internal.bootstrap) [8]
    {
        var u : .phantom.net.udp_socket;
        var data : string;
        var from : string;
        var colon : int;
        u = new .phantom.net.udp_socket();
        u.bind("127.0.0.1", 0);
        b.consolePrint("udp " + u.localPort() + "\n");
        while (1)
        {
            data = u.receive();
            from = u.lastSender();
            colon = from.strstr(":");
            u.sendTo(from.substring(0, colon), from.substring(colon + 1, from.length() - colon - 1).toInt(), "echo: " + data);
        }
    }
};

// Sends CHUNKS chunks of 64 KiB and "END\n" to the first client, then closes at once and prints
// "closed" (the client has not read yet: most bytes still wait in the world). MODE=mixed sends the
// second half immediate, after committed ones that may still wait for their commit.
class net_bulk_sender
{
    void startup(var b : .internal.bootstrap) [8]
    {
        var env : .test.net_env;
        var server : .phantom.net.tcp_server;
        var c : .phantom.net.tcp_socket;
        var chunk : string;
        var i : int;
        var n : int;
        env = new .test.net_env();
        server = new .phantom.net.tcp_server();
        server.listen("127.0.0.1", 0);
        b.consolePrint("listening " + server.localPort() + "\n");
        chunk = "0123456789abcdef";
        while (chunk.length() < 65536) chunk = chunk + chunk;
        n = env.get(b, "CHUNKS").toInt();
        c = server.accept();
        i = 0;
        while (i < n)
        {
            if (env.get(b, "MODE").equals("mixed") && i == n / 2) c.setImmediate(1);
            c.send(chunk);
            i = i + 1;
        }
        c.send("END\n");
        c.close();
        b.consolePrint("closed\n");
        server.accept();
    }
};

// Connects to HOST:PORT and reads until the server closes ("first: ..."), then connects the same
// socket object to the same peer again, sends "again\n" and prints "second: " and the answer.
class net_reconnect
{
    string all(var c : .phantom.net.tcp_socket)
    {
        var text : string;
        var data : string;
        text = "";
        data = c.receive(1000);
        while (data.length() > 0) { text = text + data; data = c.receive(1000); }
        return text;
    }

    void startup(var b : .internal.bootstrap) [8]
    {
        var env : .test.net_env;
        var c : .phantom.net.tcp_socket;
        env = new .test.net_env();
        c = new .phantom.net.tcp_socket();
        try
        {
            c.connect(env.get(b, "HOST"), env.get(b, "PORT").toInt());
            b.consolePrint("first: " + all(c));
            c.connect(env.get(b, "HOST"), env.get(b, "PORT").toInt());
            c.send("again\n");
            b.consolePrint("second: " + all(c));
            c.close();
        }
        catch (string e) { b.consolePrint("error: " + e + "\n"); }
    }
};

// Known traffic, then the stt: counters 6-9 of this run: sends 100 bytes to HOST:PORT and reads 50
// back; sends a datagram of 30 bytes to 127.0.0.1:UPORT and receives one of 20; prints
// "stats TCPRX TCPTX UDPRX UDPTX".
class net_stats
{
    void startup(var b : .internal.bootstrap) [8]
    {
        var env : .test.net_env;
        var c : .phantom.net.tcp_socket;
        var u : .phantom.net.udp_socket;
        var s : .internal.connection;
        var got : string;
        var hundred : string;
        env = new .test.net_env();
        hundred = "0123456789";
        hundred = hundred + hundred + hundred + hundred + hundred + hundred + hundred + hundred + hundred + hundred;
        c = new .phantom.net.tcp_socket();
        c.connect("127.0.0.1", env.get(b, "PORT").toInt());
        c.send(hundred);
        got = "";
        while (got.length() < 50) got = got + c.receive(1000);
        u = new .phantom.net.udp_socket();
        u.bind("127.0.0.1", 0);
        u.sendTo("127.0.0.1", env.get(b, "UPORT").toInt(), hundred.substring(0, 30));
        got = u.receive();
        s = new .internal.connection();
        s.connect("stt:");
        b.consolePrint("stats " + s.block(6, 2) + " " + s.block(7, 2) + " " + s.block(8, 2) + " " + s.block(9, 2) + "\n");
        c.close();
    }
};

// Closes a listener and a UDP socket and binds their ports again at once, 20 times: "rebound" or
// "error: ...".
class net_rebind
{
    void startup(var b : .internal.bootstrap) [8]
    {
        var server : .phantom.net.tcp_server;
        var u : .phantom.net.udp_socket;
        var port : int;
        var i : int;
        try
        {
            server = new .phantom.net.tcp_server();
            server.listen("127.0.0.1", 0);
            port = server.localPort();
            u = new .phantom.net.udp_socket();
            u.bind("127.0.0.1", 0);
            i = 0;
            while (i < 20)
            {
                server.close();
                server.listen("127.0.0.1", port);
                u.close();
                u.bind("127.0.0.1", port);
                i = i + 1;
            }
            b.consolePrint("rebound\n");
        }
        catch (string e) { b.consolePrint("error: " + e + "\n"); }
    }
};

// Malformed addresses from a program: each is a thrown string ("bad: ..."), never a crash; "done".
class net_bad_addresses
{
    void startup(var b : .internal.bootstrap) [8]
    {
        var bad : string[];
        var i : int;
        var t : .internal.tcp;
        var u : .internal.udp;
        bad = new string[]();
        bad[0] = ""; bad[1] = ":"; bad[2] = "host:"; bad[3] = ":80"; bad[4] = "[::1"; bad[5] = "[::1]80";
        bad[6] = "1.2.3.4:99999"; bad[7] = "1.2.3.4:-1"; bad[8] = "::1:80"; bad[9] = "listen:example.com:80";
        bad[10] = "listen:"; bad[11] = "a b:80"; bad[12] = "[]:80"; bad[13] = "listen:[nonsense]:1";
        i = 0;
        while (i < 14)
        {
            t = new .internal.tcp();
            try { t.connect(bad[i]); b.consolePrint("connected?? " + bad[i] + "\n"); }
            catch (string e) { b.consolePrint("bad: " + e + "\n"); }
            u = new .internal.udp();
            try { u.bind(bad[i]); b.consolePrint("bound?? " + bad[i] + "\n"); }
            catch (string e2) { b.consolePrint("bad: " + e2 + "\n"); }
            i = i + 1;
        }
        u = new .internal.udp();
        u.bind("127.0.0.1:0");
        try { u.sendTo("nohostport", "x"); } catch (string e3) { b.consolePrint("bad: " + e3 + "\n"); }
        try { u.sendTo("1.2.3.4:0", "x"); } catch (string e4) { b.consolePrint("bad: " + e4 + "\n"); }
        try { u.sendTo("a b:53", "x"); } catch (string e5) { b.consolePrint("bad: " + e5 + "\n"); }
        try { u.sendTo("127.0.0.1:9", 5); } catch (string e6) { b.consolePrint("bad: " + e6 + "\n"); }
        t = new .internal.tcp();
        try { t.recv(10); } catch (string e7) { b.consolePrint("bad: " + e7 + "\n"); }
        b.consolePrint("done\n");
    }
};

// Accepts connections and keeps them all until accept throws; prints "error: ..." and "accepted N".
class net_many
{
    void startup(var b : .internal.bootstrap) [8]
    {
        var server : .phantom.net.tcp_server;
        var keep : .phantom.net.tcp_socket[];
        var n : int;
        server = new .phantom.net.tcp_server();
        server.listen("127.0.0.1", 0);
        b.consolePrint("listening " + server.localPort() + "\n");
        keep = new .phantom.net.tcp_socket[]();
        n = 0;
        try
        {
            while (1) { keep[n] = server.accept(); n = n + 1; }
        }
        catch (string e) { b.consolePrint("error: " + e + "\n"); }
        b.consolePrint("accepted " + n + "\n");
    }
};

// Sends 1 MiB after 1 MiB to a client that never reads, until a send throws: "error: ...", "sent N".
class net_flood_sender
{
    void startup(var b : .internal.bootstrap) [8]
    {
        var server : .phantom.net.tcp_server;
        var c : .phantom.net.tcp_socket;
        var chunk : string;
        var n : int;
        server = new .phantom.net.tcp_server();
        server.listen("127.0.0.1", 0);
        b.consolePrint("listening " + server.localPort() + "\n");
        chunk = "0123456789abcdef";
        while (chunk.length() < 1048576) chunk = chunk + chunk;
        c = server.accept();
        n = 0;
        try { while (n < 1000) { c.send(chunk); n = n + 1; } }
        catch (string e) { b.consolePrint("error: " + e + "\n"); }
        b.consolePrint("sent " + n + "\n");
        c.close();
        server.accept();
    }
};
