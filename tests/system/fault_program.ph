// The crash-loop tests' programs (crash_loop_test.cc). Each boot class starts its threads and returns.
// A thread makes the process fail through flt: (served only with `phantom run --test-faults`) when its
// counter, kept in the world, reaches a value: every resume of a snapshot taken before that point fails
// at the same point again, as a deterministic bug would. Every line carries the counter.
package .test;

// "tick n" every 10 ms; at n == 40 the process dies of SIGSEGV. "bystander k" every 50 ms from a
// second thread that never fails, so a quarantine of the first leaves a world that works.
class crash_loop
{
    void startup(var boot : .internal.bootstrap) [8]
    {
        boot.startThread(new crasher());
        boot.startThread(new bystander());
    }
};

class crasher
{
    var n : int;

    void run(var b : .internal.bootstrap) [8]
    {
        var s : .internal.connection;
        var f : .internal.connection;
        s = new .internal.connection();
        f = new .internal.connection();
        if (s.connect("tmr:") != 0) { b.consolePrint("connect failed: " + s.lastError() + "\n"); return; }
        if (f.connect("flt:") != 0) { b.consolePrint("connect failed: " + f.lastError() + "\n"); return; }
        while (1)
        {
            n = n + 1;
            b.consolePrint("tick " + n + "\n");
            if (n >= 40) { b.consolePrint("crashing at " + n + "\n"); f.invoke(0, 1); }
            s.block(null, 10);
        }
    }
};

class bystander
{
    var k : int;

    void run(var b : .internal.bootstrap) [8]
    {
        var s : .internal.connection;
        s = new .internal.connection();
        if (s.connect("tmr:") != 0) { b.consolePrint("connect failed: " + s.lastError() + "\n"); return; }
        while (1)
        {
            k = k + 1;
            b.consolePrint("bystander " + k + "\n");
            s.block(null, 50);
        }
    }
};

// The watchdog's case: at n == 5 the thread enters a native call that never returns.
class hang
{
    void startup(var boot : .internal.bootstrap) [8] { boot.startThread(new hanger()); }
};

class hanger
{
    var n : int;

    void run(var b : .internal.bootstrap) [8]
    {
        var s : .internal.connection;
        var f : .internal.connection;
        s = new .internal.connection();
        f = new .internal.connection();
        if (s.connect("tmr:") != 0) { b.consolePrint("connect failed: " + s.lastError() + "\n"); return; }
        if (f.connect("flt:") != 0) { b.consolePrint("connect failed: " + f.lastError() + "\n"); return; }
        while (1)
        {
            n = n + 1;
            b.consolePrint("tick " + n + "\n");
            if (n == 5) { b.consolePrint("hanging\n"); f.invoke(0, 3); }
            s.block(null, 10);
        }
    }
};

// A thread that ends with an uncaught exception while another runs on.
class thrower
{
    void startup(var boot : .internal.bootstrap) [8]
    {
        boot.startThread(new throwing());
        boot.startThread(new bystander());
    }
};

class throwing
{
    void run(var b : .internal.bootstrap) [8]
    {
        b.consolePrint("throwing\n");
        throw "boom from the test";
    }
};

// A failed assertion's case: the process aborts at once.
class abort_now
{
    void startup(var boot : .internal.bootstrap) [8]
    {
        var f : .internal.connection;
        f = new .internal.connection();
        if (f.connect("flt:") != 0) { boot.consolePrint("connect failed: " + f.lastError() + "\n"); return; }
        f.invoke(0, 2);
    }
};
