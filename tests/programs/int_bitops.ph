// int_bitops
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var x : int;
        x = 12;
        p("" + (x | 3) + " " + (x & 10) + " " + (x ^ 5) + " " + (x ~));
        p("" + (1 << 10) + " " + (1024 >> 3) + " " + (-16 >> 2) + " " + (-16 >>> 28));
        p("" + (0xFF & 0x0F) + " " + 0x7FFFFFFF + " " + 0xFFFFFFFF + " " + 010);
        p("" + (2 + 3 & 1) + " " + (2 * 3 | 1));
    }
};
