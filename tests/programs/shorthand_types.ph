// shorthand_types
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var n : long;
        var x : double;
        var y : float;
        var o : object;
        n = 1L << 40;
        x = 0.5;
        y = 0.25f;
        o = "any";
        p("" + n + " " + (x + y) + " " + o);
    }
};
