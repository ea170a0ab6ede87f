// double_arith
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var x : .internal.double;
        var y : .internal.double;
        x = 7.5;
        y = 2.0;
        p("" + (x + y) + " " + (x - y) + " " + (x * y) + " " + (x / y));
        p("" + (x > y) + (x < y) + (x == 7.5) + (x != 7.5));
        p("" + (0.1 + 0.2) + " " + (0.1 + 0.2 == 0.3) + " " + (1.0 / 3.0));
        p("" + 1e10 + " " + 2.5e-3 + " " + (0.5 == 0.7));
    }
};
