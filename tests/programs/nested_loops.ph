// nested_loops
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var i : int;
        var j : int;
        var s : string;
        s = "";
        i = 0;
        while (i < 4)
        {
            j = 0;
            while (1)
            {
                if (j == i) break;
                s = s + j;
                j = j + 1;
            }
            s = s + "|";
            i = i + 1;
        }
        p(s);
    }
};
