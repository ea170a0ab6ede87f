// switch_basic
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
        while (i < 6)
        {
            switch (i)
            {
            case 1: p("one"); break;
            case 2:
            case 3: p("two or three"); break;
            case 4: p("four, falls"); 
            case 5: p("five"); break;
            default: p("default " + i);
            }
            i = i + 1;
        }
    }
};
