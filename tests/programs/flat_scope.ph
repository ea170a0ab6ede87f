// flat_scope
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var i : int;
        i = 1;
        if (i) { var x : int; x = 10; i = i + x; }
        if (i) { var x : int; x = x + 5; i = i + x; }
        p("" + i);
        y = 3;
        var y : int;
        p("used before its declaration: " + y);
    }
};
