// exceptions
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void thrower(var k : int)
    {
        if (k == 1) throw "one";
        throw 2;
    }

    void deep(var n : int)
    {
        if (n == 0) throw "bottom";
        deep(n - 1);
        p("never printed");
    }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        try { thrower(1); } catch (string e) { p("caught string: " + e); }
        try { thrower(2); } catch (int e) { p("caught int: " + e); }
        try { deep(5); } catch (string e) { p("across frames: " + e); }
        try { try { thrower(1); } catch (int e) { p("wrong handler"); } } catch (string e) { p("outer got: " + e); }
        try { try { thrower(1); } catch (string e) { throw "re-" + e; } } catch (string e) { p("rethrown: " + e); }
        p("after all");
    }
};
