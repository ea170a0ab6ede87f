// gcd_lcm
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    int gcd(var a : int, var c : int)
    {
        var t : int;
        while (c != 0) { t = a % c; a = c; c = t; }
        return a;
    }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        p("gcd(1071, 462)=" + gcd(1071, 462) + " lcm(4, 6)=" + (4 * 6 / gcd(4, 6)) + " gcd(17, 5)=" + gcd(17, 5));
    }
};
