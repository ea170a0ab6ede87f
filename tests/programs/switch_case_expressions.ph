// switch_case_expressions
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var k : int;
        var x : int;
        k = 3;
        x = 0;
        while (x < 8)
        {
            switch (x)
            {
            case k: p("k"); break;
            case k + 1: p("k+1"); break;
            case k * 2: p("2k"); break;
            }
            x = x + 1;
        }
    }
};
