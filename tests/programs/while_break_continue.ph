// while_break_continue
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var i : int;
        var s : string;
        i = 0;
        s = "";
        while (1)
        {
            i = i + 1;
            if (i > 10) break;
            if (i % 3 == 0) continue;
            s = s + i + " ";
        }
        p(s + "| " + i);
    }
};
