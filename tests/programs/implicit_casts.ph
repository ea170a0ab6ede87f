// implicit_casts
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var o : .internal.object;
        var s : string;
        var n : int;
        var list : .internal.object[];
        list = new .internal.object[]();
        list[0] = "str";
        list[1] = 41;
        list[4] = "end";
        s = list[0];
        n = list[1];
        p(s + " " + (n + 1));
        o = list[3];
        s = o;
        p("null through an implicit cast: " + (s :== null));
        try { s = list[1]; p("no"); } catch (string e) { p("checked: " + e); }
    }
};
