// switch_no_default
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var i : int;
        var hits : int;
        i = 0;
        hits = 0;
        while (i < 5)
        {
            switch (i * 2) { case 4: hits = hits + 10; break; case 6: hits = hits + 1; }
            i = i + 1;
        }
        p("loop finished: i=" + i + " hits=" + hits);
        switch (99) { case 1: p("no"); }
        p("after a switch without a match");
    }
};
