// constructor_chain
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var c : c3;
        c = new c3();
        p(c.trace());
    }
};

class c1
{
    var log : string;
    void c1() { log = "c1"; }
    string trace() { return log; }
    void add(var s : string) { log = log + " " + s; }
};

class c2 extends c1
{
    void c2() { add("c2"); }
};

class c3 extends c2
{
    void c3() { add("c3"); }
};
