// interface_inheritance
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var n : named;
        var s : speaker;
        var r : robot;
        r = new robot();
        n = r;
        s = r;
        p(n.name() + " says " + s.say());
    }
};

interface named
{
    string name();
};

interface speaker implements named
{
    string say();
};

class robot implements speaker
{
    void robot() {}
    string name() { return "R2"; }
    string say() { return "beep"; }
};
