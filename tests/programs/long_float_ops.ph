// long_float_ops
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var l : .internal.long;
        var d : .internal.double;
        var f : .internal.float;
        l = -17L;
        d = 7.5;
        f = 2.5f;
        p("" + (l % 5L) + " " + (l / 5L) + " " + (l << 2) + " " + (l >> 1) + " " + (l >>> 60) + " " + (l ^ 3L) + " " + (l ~));
        p("" + (d % 2.0) + " " + (f % 2.0f) + " " + (d - f) + " " + (f * f) + " " + -f);
        p("" + (l < 0L) + (d >= 7.5) + (f <= 2.4f) + (f != 2.5f) + (l == -17L));
        p("" + (!l) + (!0L) + (l && 1) + (d || 0));
    }
};
