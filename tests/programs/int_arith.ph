// int_arith
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var a : int;
        var c : int;
        a = 17;
        c = 5;
        p("" + (a + c) + " " + (a - c) + " " + (a * c) + " " + (a / c) + " " + (a % c));
        p("" + (0 - a) / c + " " + (0 - a) % c + " " + a / (0 - c) + " " + a % (0 - c));
        p("" + (2 + 3 * 4) + " " + ((2 + 3) * 4) + " " + (20 - 5 - 3) + " " + (100 / 10 / 5));
        p("" + (2147483647 + 1) + " " + (0 - 2147483647 - 1) * 1);
    }
};
