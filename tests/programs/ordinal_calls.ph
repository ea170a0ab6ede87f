// ordinal_calls
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var o : .internal.object;
        var arr : .internal.object;
        o = new fixed();
        p("" + o.20() + " " + o.21(5));
        arr = new int[]();
        p("size by ordinal " + arr.12());
        p("length by ordinal " + "abcd".11());
    }
};

class fixed
{
    int a() [20] { return 20; }
    int b(var x : int) [21] { return x * 2; }
};
