// big_loop
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var i : int;
        var sum : .internal.long;
        i = 0;
        sum = 0L;
        while (i < 1000000) { sum = sum + i; i = i + 1; }
        p("sum " + sum);
    }
};
