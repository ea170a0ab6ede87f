// tostring_override
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var v : vec;
        v = new vec();
        v.set(1, 2);
        b.consolePrint(v);
        p("");
        p("as text: " + v);
        p("plain object: " + (new plain()) + ", with own toString: " + (new named()));
    }
};

class vec extends .internal.object
{
    var x : int;
    var y : int;
    void set(var a : int, var c : int) { x = a; y = c; }
    string toString() { return "<" + x + "," + y + ">"; }
};

class plain
{
};

class named
{
    string toString() { return "named!"; }
};
