// logical_ops
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    var count : int;

    int bump(var n : int) { count = count + 1; return 1; }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var n : int;
        n = 0;
        p("" + (1 && 1) + (1 && 0) + (0 || 0) + (0 || 7) + (!0) + (!5) + (3 && 4));
        if (bump(n) || bump(n)) p("both sides are evaluated: " + count);
        p("" + (!1 && 0) + " " + (1 && !0));
    }
};
