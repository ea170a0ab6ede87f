// weakref
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var w : .internal.weakref;
        var strong : string;
        w = new .internal.weakref();
        strong = "target" + 1;
        w.set(strong);
        p("alive: " + w.get());
    }
};
