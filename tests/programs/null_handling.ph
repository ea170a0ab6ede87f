// null_handling
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    var held : item;

    item find(var k : int) { if (k == 1) return new item(); return null; }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var o : item;
        p("unset object field is null: " + (held :== null));
        o = null;
        p("null assigned: " + (o :== null));
        o = find(0);
        p("found nothing: " + (o :== null));
        o = find(1);
        p("found " + o.name());
        try { o = null; o.name(); p("no"); }
        catch (string e) { p("call on null: " + e); }
    }
};

class item
{
    string name() { return "thing"; }
};
