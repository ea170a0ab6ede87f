// cast_known_class_name
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var o : .internal.object;
        var c : thing;
        o = new thing();
        c = (thing) o;
        p(c.name() + " " + ((thing) o).name());
        try { c = (thing) "str"; } catch (string e) { p(e); }
    }
};

class thing
{
    string name() { return "a thing"; }
};
