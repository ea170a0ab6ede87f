// connections_basic: the .internal.connection API end to end (docs/connections.md): fio: files in the
// world's sandbox with reads seeing committed writes before they reach the file, refused names,
// unknown and unavailable prefixes, operations on a disconnected connection, a one-shot and a
// periodic timer with callbacks in VM threads, and stt: counters.
package .test;

class ticker
{
    var count : int;

    int getCount() { return count; }

    void tick(var when : .internal.object) [20]
    {
        count = count + 1;
    }
};

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    // Sleeps on t in 10 ms steps until k has counted `want` callbacks or 10 s passed.
    int wait_for(var t : .internal.connection, var k : .test.ticker, var want : int)
    {
        var waited : int;
        waited = 0;
        while (k.getCount() < want && waited < 1000) { t.block(null, 10); waited = waited + 1; }
        return k.getCount() >= want;
    }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var f : .internal.connection;
        var g : .internal.connection;
        f = new .internal.connection();
        p("connect: " + f.connect("fio:notes.txt"));
        p("connected: " + f.isConnected());
        p("write: " + f.block("hello, world\n", 1));
        p("write: " + f.block("second line\n", 1));
        p("tell: " + f.block(null, 4));
        p("size: " + f.block(null, 3));
        p("seek: " + f.block(7, 2));
        p("read: " + f.block(5, 0));
        p("read on: [" + f.block(100, 0) + "]");
        p("read at end: [" + f.block(100, 0) + "]");
        p("sync: " + f.block(null, 9));
        p("list: " + ((.internal.container.array) f.block(null, 5)).size());
        p("rename: " + f.block("renamed.txt", 6));
        p("size after rename: " + f.block(null, 3));
        p("mode was: " + f.block(1, 8));
        p("immediate write: " + f.block("!", 1));
        p("bad mode: " + f.block(7, 8));

        g = new .internal.connection();
        p("escape ..: " + g.connect("fio:a/../../outside.txt"));
        p("  " + g.lastError());
        p("escape absolute: " + g.connect("fio:/etc/passwd"));
        p("  " + g.lastError());
        p("empty name: " + g.connect("fio:"));
        p("unknown prefix: " + g.connect("xyz:thing"));
        p("  " + g.lastError());
        p("udp: " + g.connect("udp:"));
        p("  " + g.lastError());
        p("connected: " + g.isConnected());
        p("block when not connected: " + g.block(1, 0));
        p("invoke when not connected: " + g.invoke(1, 0));
        var long_name : string;
        long_name = "fio:";
        while (long_name.length() < 1030) long_name = long_name + "xxxxxxxxxx";
        try { g.connect(long_name); p("a long name was accepted"); }
        catch (string e) { p("long name: " + e); }

        p("wrong type: " + f.block("seven", 2));
        p("  " + f.lastError());
        p("bad op: " + f.block(0, 42));
        p("delete: " + f.block(null, 7));
        p("after delete: " + f.block(1, 0));
        p("disconnect: " + f.disconnect());
        p("disconnect again: " + f.disconnect());
        p("after disconnect: " + f.block(1, 0));
        p("  " + f.lastError());

        var t : .internal.connection;
        var k : .test.ticker;
        k = new .test.ticker();
        t = new .internal.connection();
        p("timer: " + t.connect("tmr:"));
        p("callback: " + t.setCallback(k, 20));
        p("callback again: " + t.setCallback(k, 20));
        p("arm: " + t.invoke(50, 0));
        p("fired once: " + wait_for(t, k, 1));
        t.block(null, 100);
        p("still once: " + (k.getCount() == 1));
        p("periodic: " + t.invoke(20, 1));
        p("ticked 4 more: " + wait_for(t, k, 5));
        p("cancel: " + t.invoke(0, 2));
        p("cancel again: " + t.invoke(0, 2));
        p("bad delay: " + t.invoke("x", 0));
        p("bad op: " + t.invoke(5, 9));
        p("  " + t.lastError());

        var s : .internal.connection;
        s = new .internal.connection();
        p("stats: " + s.connect("stt:"));
        p("boots of all runs: " + s.block(0, 4));
        p("timer callbacks this run >= 5: " + (((.internal.int) s.block(50, 2)) >= 5));
        p("bad counter: " + s.block(500, 0));
        p("  " + s.lastError());
    }
};
