// inheritance
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var a : animal;
        var d : dog;
        a = new animal();
        d = new dog();
        p(a.describe());
        p(d.describe());
        a = d;
        p(a.describe() + " / legs " + a.legs());
        p("dog fields: " + d.tricks());
    }
};

class animal
{
    var nlegs : int;

    void animal() { nlegs = 4; }
    string sound() { return "..."; }
    string name() { return "an animal"; }
    string describe() { return name() + " says " + sound(); }
    int legs() { return nlegs; }
};

class dog extends animal
{
    var ntricks : int;

    void dog() { ntricks = 2; }
    string sound() { return "woof"; }
    string name() { return "a dog"; }
    string tricks() { return "" + ntricks + " tricks, " + legs() + " legs"; }
};
