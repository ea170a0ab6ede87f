// gc_stress
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var i : int;
        var keep : .internal.object[];
        var tmp : string;
        keep = new .internal.object[]();
        i = 0;
        while (i < 200000)
        {
            tmp = "garbage " + i;
            if (i % 1000 == 0) keep[i / 1000] = tmp;
            i = i + 1;
        }
        p("kept " + keep.size() + ", last " + keep[199]);
    }
};
