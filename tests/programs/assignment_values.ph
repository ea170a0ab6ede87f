// assignment_values
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    var field : string;

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var a : int;
        var c : int;
        var s : string;
        var t : string;
        a = c = 7;
        p("" + a + " " + c);
        s = t = "same";
        p(s + " " + t + " " + (s :== t));
        p("" + (a = a + 1) * 2 + " " + a);
        field = "f";
        p(field + (field = "g") + field);
    }
};
