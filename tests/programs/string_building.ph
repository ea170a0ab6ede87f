// string_building
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var s : string;
        var i : int;
        s = "";
        i = 0;
        while (i < 200) { s = s + (i % 10); i = i + 1; }
        p("" + s.length() + " " + s.substring(0, 12) + " " + s.substring(190, 10));
        p("" + ("a" + 1 + 2L + 3.5 + 0.5f + null + "b"));
    }
};
