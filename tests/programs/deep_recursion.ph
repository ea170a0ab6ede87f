// deep_recursion: a recursion that never ends stops at the VM's frame limit with a catchable
// exception (the calls go through a cached call site, which must respect the limit too); the
// program then goes on, and recursion works again
package .test;

class program
{
    var b : .internal.bootstrap;
    var deepest : int;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    int down(var n : int) { deepest = n; return 1 + down(n + 1); }

    int depth(var n : int) { if (n == 0) return 0; return 1 + depth(n - 1); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        try { p("" + down(0)); } catch (string e) { p("caught: " + e + " at depth " + deepest); }
        try { p("" + down(0)); } catch (string e) { p("again: " + e); }
        p("depth " + depth(100000));
    }
};
