// if_else
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var i : int;
        i = 0;
        while (i < 4)
        {
            if (i == 0) p("zero");
            else if (i == 1) p("one");
            else if (i == 2) { p("two"); }
            else p("many");
            if (i % 2) {} else p("even " + i);
            i = i + 1;
        }
    }
};
