// hashcode_equals
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        p("" + (5.hashCode() == 5.hashCode()) + (5.equals(5)) + (5.equals(6)) + ("x".equals("x")) + (2.5.equals(2.5)));
    }
};
