// array_bounds
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var a : int[];
        a = new int[]();
        a[0] = 1;
        try { p("" + a[1]); } catch (string e) { p("caught: " + e); }
        try { p("" + a[-1]); } catch (string e) { p("caught: " + e); }
    }
};
