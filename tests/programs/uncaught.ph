// uncaught
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void fail() { throw "it broke"; }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        p("before");
        fail();
        p("after");
    }
};
