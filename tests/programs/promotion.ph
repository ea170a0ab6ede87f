// promotion
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
        var d : .internal.double;
        i = 3;
        l = 4000000000L;
        d = 0.5;
        p("" + (i + l) + " " + (l + d) + " " + (i * d) + " " + (i + 1.25f));
        p("" + (i < l) + (d < i) + (l == 4000000000L));
    }
};
