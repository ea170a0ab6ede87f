// object_equality
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    var field_int : int;

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var n : int;
        field_int = 5;
        n = 5;
        p("" + (field_int == 5) + (field_int == n) + (field_int != 6) + ("a" == "a") + ("a" != "b"));
        p("" + (this == this) + ((new .internal.object()) == this));
    }
};
