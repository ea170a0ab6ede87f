// grammar_corners: the less common productions of the grammar
package .test;

attribute const * ->!;
import .internal.long;
import .internal."class";

class program
{
    var b : .internal.bootstrap;
    static int counter;
    var ignored : static int;
    string cstyle;
    var untyped;
    .internal.long @const big;

    void p(var s : string @const) { b.consolePrint(s + "\n"); }

    void startup(var boot @const) [8]
    {
        var cls : .internal."class";
        var o : .internal.object;
        b = boot;
        cstyle = "c-style field";
        untyped = 41;
        untyped = (int) untyped + 1;
        big = 7L;
        counter = 2;
        p(cstyle + " " + untyped + " " + big + " " + counter);
        p("" + add(1 2) + " " + add(, 3, 4));
        cls = b.loadClass(".test.dyn");
        o = new *(cls)();
        p("dynamic new: " + (o :!= null) + " " + ((dyn) o).hello());
        o = new *(cls) : dyn ();
        p("typed dynamic new: " + ((dyn) o).hello());
    }

    int add(var x : int, var y : int) { return x + y; }
};

class dyn
{
    string hello() { return "hi"; }
};
