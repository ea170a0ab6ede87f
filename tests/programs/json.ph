// json
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var d : .internal.directory;
        var a : .internal.object[];
        d = (.internal.directory) "{\"name\": \"phantom\", \"n\": 3, \"list\": [1, 2.5, true]}".parseJson();
        a = (.internal.object[]) d.get("list");
        p(d.get("name") + " " + d.get("n") + " " + a.size() + " " + a[1] + " " + a[2]);
    }
};
