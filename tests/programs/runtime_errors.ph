// runtime_errors
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var z : int;
        var o : .internal.object;
        var s : string;
        z = 0;
        try { p("" + 10 / z); } catch (string e) { p("1: " + e); }
        try { p("" + 10 % z); } catch (string e) { p("2: " + e); }
        try { s = (string) o; p("3: null passes a cast: " + (s :== null)); } catch (string e) { p("3: " + e); }
        o = 5;
        try { s = (string) o; p("no"); } catch (string e) { p("4: " + e); }
        try { p("" + "abc".substring(5, 1)); } catch (string e) { p("5: " + e); }
        try { p("" + 5000000000L / 0L); } catch (string e) { p("6: " + e); }
    }
};
