// arrays
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var a : int[];
        var m : .internal.object[];
        var row : int[];
        var i : int;
        a = new int[]();
        a[5] = 50;
        p("size " + a.size() + " a[5]=" + a[5] + " a[2] null=" + (a[2] :== null));
        i = 0;
        while (i < 10) { a[i] = i * i; i = i + 1; }
        p("a[9]=" + a[9] + " size " + a.size());
        m = new .internal.object[]();
        row = new int[]();
        row[0] = 7;
        m[0] = row;
        m[1] = "text";
        row = (int[]) m[0];
        p("nested " + row[0] + " " + m[1]);
        p("value of a[3] = 33 is " + (a[3] = 33) + ", now " + a[3]);
    }
};
