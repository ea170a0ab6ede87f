// interfaces
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var s : shape;
        var list : shape[];
        var i : int;
        list = new shape[]();
        list[0] = new square(3);
        list[1] = new circle(2);
        i = 0;
        while (i < list.size()) { s = list[i]; p(s.name() + " area " + s.area()); i = i + 1; }
    }
};

interface shape
{
    string name();
    int area();
};

class square implements shape
{
    var side : int;
    void square() {}
    void square(var n : int) { side = n; }
    string name() { return "square"; }
    int area() { return side * side; }
};

class circle implements shape
{
    var r : int;
    void circle() {}
    void circle(var n : int) { r = n; }
    int area() { return 3 * r * r; }
    string name() { return "circle"; }
};
