// The file offset test's programs (file_offset_test.cc).
package .test;

// Appends the 13-byte line "line 100000n\n" for n = 1, 2, ... to lines.txt, never seeking to the end:
// each line goes where the connection's offset is, which must be (n-1)*13. After each line it seeks
// back and reads the line again (reads see committed writes before they reach the file). Every 50th
// line it pauses 500 ms between the seek and the read, printing "paused n": a kill then leaves the
// offset one line before the file's end, so a restart that re-opened the file at its end (or at 0)
// reads the wrong bytes. Anything wrong is printed as "bad ..." and the program stops.
class file_append
{
    var b : .internal.bootstrap;
    var f : .internal.connection;
    var s : .internal.connection;
    var n : int;

    void startup(var boot : .internal.bootstrap) [8]
    {
        var line : string;
        var back : string;
        var at : int;
        var r : int;
        b = boot;
        f = new .internal.connection();
        s = new .internal.connection();
        if (f.connect("fio:lines.txt") != 0) { b.consolePrint("bad connect: " + f.lastError() + "\n"); return; }
        if (s.connect("tmr:") != 0) { b.consolePrint("bad connect: " + s.lastError() + "\n"); return; }
        n = 0;
        while (1)
        {
            n = n + 1;
            line = "line " + (1000000 + n) + "\n";
            at = f.block(null, 4);
            if (at != (n - 1) * 13) { b.consolePrint("bad offset " + at + " before line " + n + ": " + f.lastError() + "\n"); return; }
            r = f.block(line, 1);
            if (r != 13) { b.consolePrint("bad write " + r + ": " + f.lastError() + "\n"); return; }
            at = f.block((n - 1) * 13, 2);
            if (at != (n - 1) * 13) { b.consolePrint("bad seek " + at + ": " + f.lastError() + "\n"); return; }
            if (n % 50 == 0)
            {
                b.consolePrint("paused " + n + "\n");
                s.block(null, 500);
            }
            back = f.block(13, 0);
            if (!back.equals(line)) { b.consolePrint("bad read of line " + n + ": '" + back + "' " + f.lastError() + "\n"); return; }
            b.consolePrint("wrote " + n + "\n");
        }
    }
};

// Writes "abc" to doomed.txt, waits for it to reach the file (sync), prints "synced", then asks for the
// file's size every 100 ms. When an answer is an error it prints it with lastError() and stops.
class file_deleted
{
    var b : .internal.bootstrap;
    var f : .internal.connection;
    var s : .internal.connection;

    void startup(var boot : .internal.bootstrap) [8]
    {
        var r : int;
        b = boot;
        f = new .internal.connection();
        s = new .internal.connection();
        if (f.connect("fio:doomed.txt") != 0) { b.consolePrint("bad connect: " + f.lastError() + "\n"); return; }
        if (s.connect("tmr:") != 0) { b.consolePrint("bad connect: " + s.lastError() + "\n"); return; }
        f.block("abc", 1);
        r = f.block(null, 9);
        b.consolePrint("synced " + r + "\n");
        while (1)
        {
            r = f.block(null, 3);
            if (r < 0)
            {
                b.consolePrint("size error " + r + ": " + f.lastError() + "\n");
                r = f.block(3, 0);
                b.consolePrint("read error " + r + ": " + f.lastError() + "\n");
                b.consolePrint("connected " + f.isConnected() + "\n");
                return;
            }
            s.block(null, 100);
        }
    }
};

// Bad input at the Phantom level: every line is a clear result or a caught exception, never a crash.
class bad_input
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    string name_of(var prefix : string, var length : int)
    {
        var s : string;
        s = prefix;
        while (s.length() < length) s = s + "a";
        return s;
    }

    void startup(var boot : .internal.bootstrap) [8]
    {
        var c : .internal.connection;
        var t : .internal.connection;
        var f : .internal.connection;
        var r : int;
        var o : .internal.object;
        b = boot;

        c = new .internal.connection();
        r = c.connect("xyz:thing");
        p("unknown prefix: " + r + ": " + c.lastError());
        p("unknown prefix connected: " + c.isConnected());
        r = c.connect("");
        p("empty name: " + r + ": " + c.lastError());
        r = c.connect("udp:1.2.3.4:5");
        p("udp: " + r + ": " + c.lastError());

        try { r = c.connect(name_of("fio:", 1024)); p("1024 bytes: no exception, " + r); }
        catch (string e) { p("1024 bytes: caught: " + e); }
        try { r = c.connect(name_of("fio:", 5000)); p("5000 bytes: no exception, " + r); }
        catch (string e2) { p("5000 bytes: caught: " + e2); }
        try { r = c.connect(name_of("xyz:", 1024)); p("1024 bytes, unknown prefix: no exception, " + r); }
        catch (string e3) { p("1024 bytes, unknown prefix: caught: " + e3); }
        r = c.connect(name_of("fio:", 1023));
        p("1023 bytes: " + r + ": " + c.lastError());
        p("1023 bytes connected: " + c.isConnected());

        r = c.connect("fio:../escape.txt");
        p("dotdot: " + r + ": " + c.lastError());
        r = c.connect("fio:/etc/passwd");
        p("absolute: " + r + ": " + c.lastError());
        // Made by the test in the sandbox before the run: links out, and a FIFO.
        r = c.connect("fio:out_link");
        p("symlink out: " + r + ": " + c.lastError());
        r = c.connect("fio:out_dir/passwd");
        p("symlink dir out: " + r + ": " + c.lastError());
        r = c.connect("fio:out_dir/new.txt");
        p("symlink dir out, new: " + r + ": " + c.lastError());
        r = c.connect("fio:fifo");
        p("fifo: " + r + ": " + c.lastError());

        try { o = 5; r = c.8(o); p("int name: no exception, " + r); }
        catch (string e4) { p("int name: caught: " + e4); }
        try { o = null; r = c.8(o); p("null name: no exception, " + r); }
        catch (string e5) { p("null name: caught: " + e5); }

        // Never connected.
        f = new .internal.connection();
        p("fresh block: " + f.block(null, 3) + ": " + f.lastError());
        p("fresh invoke: " + f.invoke(null, 0) + ": " + f.lastError());
        p("fresh disconnect: " + f.disconnect() + ": " + f.lastError());

        // Wrong argument types and operations of a connected file.
        r = f.connect("fio:bad.txt");
        p("connect: " + r);
        p("read of a string: " + f.block("abc", 0) + ": " + f.lastError());
        p("read of -1: " + f.block(-1, 0) + ": " + f.lastError());
        p("write of an int: " + f.block(5, 1) + ": " + f.lastError());
        p("seek to a string: " + f.block("x", 2) + ": " + f.lastError());
        p("seek to -3: " + f.block(-3, 2) + ": " + f.lastError());
        p("list of an int: " + f.block(7, 5) + ": " + f.lastError());
        p("list of ..: " + f.block("..", 5) + ": " + f.lastError());
        p("rename to ..: " + f.block("../out.txt", 6) + ": " + f.lastError());
        p("mode 7: " + f.block(7, 8) + ": " + f.lastError());
        p("op 99: " + f.block(null, 99) + ": " + f.lastError());
        p("op -1: " + f.block(null, -1) + ": " + f.lastError());
        p("write: " + f.block("hello", 1));
        p("tell: " + f.block(null, 4));
        try { o = "op"; f.13(null, o); p("string op: no exception"); }
        catch (string e6) { p("string op: caught: " + e6); }

        // After disconnect.
        p("disconnect: " + f.disconnect());
        p("connected after disconnect: " + f.isConnected());
        p("block after disconnect: " + f.block(null, 3) + ": " + f.lastError());
        p("write after disconnect: " + f.block("x", 1) + ": " + f.lastError());
        p("invoke after disconnect: " + f.invoke(null, 0) + ": " + f.lastError());
        p("disconnect again: " + f.disconnect() + ": " + f.lastError());

        // Timers.
        t = new .internal.connection();
        p("tmr connect: " + t.connect("tmr:"));
        p("tmr delay of a string: " + t.invoke("soon", 0) + ": " + t.lastError());
        p("tmr delay -5: " + t.invoke(-5, 0) + ": " + t.lastError());
        p("tmr period 0: " + t.invoke(0, 1) + ": " + t.lastError());
        p("tmr op 7: " + t.invoke(100, 7) + ": " + t.lastError());
        p("tmr cancel unarmed: " + t.invoke(0, 2));
        try { t.setCallback(this, -1); p("callback -1: no exception"); }
        catch (string e7) { p("callback -1: caught: " + e7); }
        p("tmr disconnect: " + t.disconnect());
        p("tmr invoke after disconnect: " + t.invoke(100, 0) + ": " + t.lastError());
        p("done");
    }
};
