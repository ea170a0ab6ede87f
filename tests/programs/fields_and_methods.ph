// fields_and_methods
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var c : counter;
        c = new counter();
        c.add(5);
        c.add(7);
        p("total " + c.total() + " calls " + c.calls());
        p("fresh int field reads 0: " + (new counter()).total());
    }
};

class counter
{
    var sum : int;
    var n : int;

    void add(var x : int) { sum = sum + x; this.n = this.n + 1; }
    int total() { return sum; }
    int calls() { return n; }
};
