// cast_is_to_object
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var o : .internal.object;
        var s : string;
        o = 5;
        p("boxed: " + o);
        o = (.internal.object) 2.5;
        p("boxed double: " + o);
        s = "" + ((string) o.5()).length();
        p("length of its text: " + s);
    }
};
