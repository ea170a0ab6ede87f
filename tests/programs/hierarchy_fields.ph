// hierarchy_fields
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var c : child;
        c = new child();
        p(c.all());
    }
};

class root
{
    var r : int;
    void root() { r = 1; }
    int rootValue() { return r; }
};

class middle extends root
{
    int twice() { return rootValue() * 2; }
};

class child extends middle
{
    var c : int;
    void child() { c = 3; }
    string all() { return "root " + rootValue() + ", middle has none, child " + c + ", root still " + rootValue(); }
};
