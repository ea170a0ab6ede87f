// try_in_loop
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void thrower() { throw "later"; }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var i : int;
        var s : string;
        i = 0;
        s = "";
        while (i < 5)
        {
            i = i + 1;
            try
            {
                if (i == 2) continue;
                if (i == 4) break;
                s = s + i;
            }
            catch (string e) { p("no"); }
        }
        p(s + " i=" + i);
        try { throw "outside"; } catch (string e) { p("catcher stack is clean: " + e); }
        try { thrower(); } catch (string e) { p("still clean: " + e); }
    }
};
