// numeric_fields
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var a : acc;
        a = new acc();
        a.add(5000000000L, 0.25);
        a.add(1L, 0.5);
        p(a.show());
        p("" + (a.big() + 1L) + " " + (a.frac() * 4.0) + " " + (a.big() > 5000000000L));
    }
};

class acc
{
    var l : .internal.long;
    var d : .internal.double;
    void add(var x : .internal.long, var y : .internal.double) { l = l + x; d = d + y; }
    .internal.long big() { return l; }
    .internal.double frac() { return d; }
    string show() { return "" + l + " " + d; }
};
