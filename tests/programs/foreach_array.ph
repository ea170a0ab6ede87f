// foreach_array
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var a : int[];
        var s : string;
        var total : int;
        var x : int;
        var w : string;
        var words : string[];
        a = new int[]();
        a[0] = 3; a[1] = 4; a[2] = 5;
        total = 0;
        foreach (x in a) total = total + x;
        p("sum " + total);
        words = new string[]();
        words[0] = "to"; words[1] = "be"; words[2] = "or";
        s = "";
        foreach (w in words) { if (w == "be") continue; s = s + w + "."; }
        p(s);
        foreach (x in new int[]()) p("never");
        p("done");
    }
};
