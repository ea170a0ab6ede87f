// chained_calls
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var c : chain;
        c = new chain();
        p(c.add(1).add(2).add(3).total() + " " + (new chain()).add(10).total() + " " + c.me().me().total());
        p("abc".concat("def").concat("!").length() + " " + "x".concat("y").substring(1, 1));
    }
};

class chain
{
    var sum : int;
    chain add(var n : int) { sum = sum + n; return this; }
    chain me() { return this; }
    int total() { return sum; }
};
