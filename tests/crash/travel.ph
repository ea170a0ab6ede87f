// travel: the program that moves between x86-64 and aarch64 in tests/crash/cross_arch_test.cc. One
// thread is nearly always deep in a recursion of 2,000 frames, asleep at the bottom on a timer, with a
// double and an int in every frame; another sleeps a second at a time on a timer of its own. Whatever
// instant a snapshot catches, the restored stacks must unwind to the same sums, on either architecture.
package .test;

class program
{
    void startup(var boot : .internal.bootstrap) [8]
    {
        var d : diver;
        var s : sleeper;
        d = new diver();
        d.setup(boot);
        boot.startThread(d);
        s = new sleeper();
        s.setup(boot);
        boot.startThread(s);
    }
};

class diver
{
    var b : .internal.bootstrap;
    var t : .internal.connection;
    var round : int;

    void setup(var boot : .internal.bootstrap) { b = boot; }

    // Returns 1 + 2 + ... + n; each frame checks that its own double came back unchanged.
    int dive(var n : int, var x : double)
    {
        var here : double;
        var below : int;
        if (n == 0) { t.block(null, 100); return 0; }
        here = x * 1.5 + n;
        below = dive(n - 1, x + 0.25);
        if (here != x * 1.5 + n) throw "self-check failed: a frame's double changed at depth " + n;
        return below + n;
    }

    void run(var boot) [8]
    {
        var sum : int;
        t = new .internal.connection();
        t.connect("tmr:");
        while (1) {
            round = round + 1;
            sum = dive(2000, 0.5);
            if (sum != 2001000) throw "self-check failed: the recursion summed to " + sum;
            b.consolePrint("round " + round + " ok\n");
        }
    }
};

class sleeper
{
    var b : .internal.bootstrap;
    var t : .internal.connection;
    var wakes : int;

    void setup(var boot : .internal.bootstrap) { b = boot; }

    void run(var boot) [8]
    {
        t = new .internal.connection();
        t.connect("tmr:");
        while (1) {
            t.block(null, 1000);
            wakes = wakes + 1;
            b.consolePrint("woke " + wakes + "\n");
        }
    }
};
