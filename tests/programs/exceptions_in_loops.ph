// exceptions_in_loops
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    int depth(var n : int)
    {
        try { if (n == 0) return 0; return 1 + depth(n - 1); }
        catch (string e) { return -1000; }
    }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var i : int;
        var caught : int;
        i = 0;
        caught = 0;
        while (i < 100)
        {
            try { if (i % 7 == 0) throw i; }
            catch (int n) { caught = caught + 1; }
            i = i + 1;
        }
        p("caught " + caught);
        p("the catcher stack is empty: " + depth(50));
    }
};
