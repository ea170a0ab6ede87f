// switch_in_loop
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
        s = "";
        i = 0;
        while (i < 6)
        {
            i = i + 1;
            switch (i % 3)
            {
            case 0: continue;
            case 1: s = s + "a"; break;
            default: s = s + "b";
            }
            s = s + i;
        }
        p(s);
    }
};
