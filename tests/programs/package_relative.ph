// package_relative
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var c : shapes.cube;
        c = new shapes.cube();
        p("volume " + c.volume(3) + " from " + c.name());
    }
};

class shapes.cube
{
    int volume(var n : int) { return n * n * n; }
    string name() { return ".test.shapes.cube"; }
};
