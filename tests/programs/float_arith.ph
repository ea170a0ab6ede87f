// float_arith
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var f : .internal.float;
        var g : .internal.float;
        f = 1.5f;
        g = 0.25f;
        p("" + (f + g) + " " + (f - g) + " " + (f * g) + " " + (f / g));
        p("" + (f > g) + (f == 1.5f) + (g < 0.0f));
    }
};
