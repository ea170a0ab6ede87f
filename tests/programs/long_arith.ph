// long_arith
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var a : .internal.long;
        var c : .internal.long;
        a = 5000000000L;
        c = 3L;
        p("" + (a + c) + " " + (a - c) + " " + (a * c) + " " + (a / c) + " " + (a % c));
        p("" + (a | 1L) + " " + (a & 0xFFFFL) + " " + (a ^ a) + " " + (a ~));
        p("" + (1L << 40) + " " + (a >> 3) + " " + (-1L >>> 60));
        p("" + (a > c) + (a < c) + (a == 5000000000L) + (a != c));
        a = 9223372036854775807L;
        p("" + (a + 1L));
    }
};
