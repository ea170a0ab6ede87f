// new_chained
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        p(new greeter().greet("you") + " " + new greeter().greet("me").length());
    }
};

class greeter
{
    string greet(var who : string) { return "hello " + who; }
};
