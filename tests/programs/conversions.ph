// conversions
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var i : int;
        var l : .internal.long;
        var f : .internal.float;
        var d : .internal.double;
        d = 2.75;
        i = (int) d;
        l = (.internal.long) d;
        p("" + i + " " + l + " " + (int) (0.0 - d) + " " + (int) -2.5);
        i = 7;
        d = i;
        l = i;
        f = i;
        p("" + d + " " + l + " " + f + " " + (d / 2) + " " + (i / 2));
        l = 4294967301L;
        p("" + (int) l + " " + (.internal.double) l);
        f = (.internal.float) 0.1;
        p("" + f + " " + (int) 1e10);
    }
};
