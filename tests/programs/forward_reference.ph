// forward_reference
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        p((new later()).value() + " " + (new later()).other().name());
    }
};

class later
{
    int value() { return 5; }
    helper other() { return new helper(); }
};

class helper
{
    string name() { return "other"; }
};
