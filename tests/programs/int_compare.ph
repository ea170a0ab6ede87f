// int_compare
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var a : int;
        a = 5;
        p("" + (a < 6) + (a < 5) + (a > 4) + (a > 5) + (a <= 5) + (a <= 4) + (a >= 5) + (a >= 6));
        p("" + (a == 5) + (a == 4) + (a != 4) + (a != 5));
        p("" + (-2147483648 < 2147483647) + (2147483647 > -2147483648));
    }
};
