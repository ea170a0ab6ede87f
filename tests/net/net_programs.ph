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
