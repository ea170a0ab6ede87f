// directory
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var d : .internal.directory;
        d = new .internal.directory();
        p("put " + d.put("k", "v") + " again " + d.put("k", "w") + " size " + d.size());
        p("get " + d.get("k") + " missing " + (d.get("zz") :== null));
        p("remove " + d.remove("k") + " " + d.remove("k") + " size " + d.size());
    }
};
