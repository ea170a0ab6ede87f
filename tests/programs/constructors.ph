// constructors
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var a : point;
        var c : point;
        a = new point();
        c = new point(3, 4);
        p(a.show() + " " + c.show() + " " + (new point(1 + 1, c.x() * 2)).show());
        p((new point("9,8")).show());
    }
};

class point
{
    var px : int;
    var py : int;

    void point() { px = 0; py = 0; }
    void point(var x : int, var y : int) { px = x; py = y; }
    void point(var s : string) { px = s.substring(0, 1).toInt(); py = s.substring(2, 1).toInt(); }
    int x() { return px; }
    string show() { return "(" + px + "," + py + ")"; }
};
