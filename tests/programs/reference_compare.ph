// reference_compare
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var a : .internal.object;
        var c : .internal.object;
        var n : .internal.object;
        a = "x";
        c = "xy".substring(0, 1);
        p("" + (a :== a) + (a :== c) + (a :!= c) + (n :== null) + (a :!= null) + (a == c));
    }
};
