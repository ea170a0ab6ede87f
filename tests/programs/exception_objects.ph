// exception_objects
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        try { throw new problem("disk full", 28); }
        catch (problem e) { p("problem " + e.message() + " code " + e.code()); }
        try { throw new problem("x", 1); }
        catch (string e2) { p("wrong"); }
    }
};

class problem
{
    var m : string;
    var c : int;
    void problem() {}
    void problem(var msg : string, var code : int) { m = msg; c = code; }
    string message() { return m; }
    int code() { return c; }
};
