// array_named_calls
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var a : string[];
        a = new string[]();
        a.set("first", 0);
        a[1] = "second";
        p("" + a.size() + " " + a.get(0) + " " + a[1] + " " + (new point()).where().size());
    }
};

class point
{
    int[] where() { var r : int[]; r = new int[](); r[1] = 5; return r; }
};
