// do_while
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
        i = 0;
        s = "";
        do { i = i + 1; if (i == 2) continue; s = s + i; } while (i < 5);
        p(s);
        i = 3;
        j = 0;
        do { j = j + 1; } while (i) i = i - 1;
        p("" + i + " " + j);
        i = 10;
        do { p("once " + i); } while (i < 5);
    }
};
