// nan_and_infinity
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var z : .internal.double;
        var nan : .internal.double;
        z = 0.0;
        nan = z / z;
        p("" + (nan == nan) + (nan != nan) + (nan < 1.0) + " " + (1.0 / z) + " " + (-1.0 / z));
    }
};
