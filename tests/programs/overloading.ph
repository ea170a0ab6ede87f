// overloading
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    string kind(var x : int) { return "int"; }
    string kind(var x : string) { return "string"; }
    string kind(var x : .internal.double) { return "double"; }
    string kind(var x : .internal.object) { return "object"; }
    string kind(var x : int, var y : int) { return "two"; }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        p(kind(1) + " " + kind("s") + " " + kind(2.5) + " " + kind(this) + " " + kind(1, 2));
    }
};
