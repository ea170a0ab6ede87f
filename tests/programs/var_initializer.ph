// var_initializer
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var i : int = 40;
        var s : string = "v" + (i + 2);
        var d : .internal.double = i / 8;
        p(s + " " + d);
    }
};
