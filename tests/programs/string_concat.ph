// string_concat
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var s : string;
        var o : .internal.object;
        s = "n=" + 5;
        p(s);
        p(1 + 2 + "x" + 1 + 2);
        p("long " + 5000000000L + ", double " + 0.25 + ", float " + 2.5f);
        p("null " + o);
        p("" + "" + "");
        p("nested " + ("a" + ("b" + "c")));
    }
};
