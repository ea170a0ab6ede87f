// hello
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        p("hello, world");
    }
};
