// unary_minus
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    int twice(var v : int) { return v * 2; }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var x : int;
        var d : .internal.double;
        var l : .internal.long;
        x = 5;
        d = 2.5;
        l = 10L;
        p("" + -x + " " + -(x + 1) + " " + (3 - -x) + " " + -d + " " + -l + " " + -twice(x));
    }
};
