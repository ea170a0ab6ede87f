// int_representations: ints near the edge of the tagged range (2^30) behave the same whichever way
// the VM represents them (docs/vm.md, "Tagged ints")
package .test;

class holder
{
    var v : int;
    void set(var x : int) { v = x; }
    int get() { return v; }
};

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    int twice(var x : int) { return x + x; }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var edges : int[];
        edges = new int[]();
        edges[0] = 1073741823;
        edges[1] = edges[0] + 1;
        edges[2] = -1073741824;
        edges[3] = edges[2] - 1;
        edges[4] = 2147483647;
        edges[5] = -2147483647 - 1;
        edges[6] = 0;
        edges[7] = -1;
        var i : int;
        var h : holder;
        h = new holder();
        var d : .internal.directory;
        d = new .internal.directory();
        i = 0;
        while (i < 8)
        {
            var x : int;
            var o : .internal.object;
            x = edges[i];
            h.set(x);
            d.put("k" + i, x);
            o = x;
            p("" + x + " field " + h.get() + " dir " + (int) d.get("k" + i) + " hash " + x.hashCode()
              + " str " + x.toString() + " twice " + twice(x) + " same " + (h.get() == x)
              + " equals " + o.equals(edges[i]) + " clone " + o.clone().equals(x));
            i = i + 1;
        }
        p("next " + (edges[0] + 1 == edges[1]) + " " + (edges[1] - 1 == edges[0]) + " " + (edges[3] + 1 == edges[2]));
    }
};
