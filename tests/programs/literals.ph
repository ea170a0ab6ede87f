// literals
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        p("" + 0 + " " + 42 + " " + 0x1F + " " + 0xff + " " + 017 + " " + -7 + " " + - 7);
        p("" + -2147483648 + " " + 2147483647 + " " + 0xFF000000);
        p("" + 123456789012L + " " + -1L + " " + 1.5 + " " + 0.5f + " " + 3e2);
    }
};
