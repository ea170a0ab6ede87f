// gc_incremental: references move between objects, arrays, directories and weak references while
// the collector works in small steps (gc_incremental.flags: --gc-step 10). Every move overwrites a
// reference that the collector may not have traced yet; a node it lost would be reused by a later
// allocation and change the sums checked at the end (PHANTOM_GC_VERIFY=1 in `make test` stops even
// earlier, at the first object the incremental marking missed).
package .test;

import .internal.long;

class node
{
    var v : int;
    var n : node;
    var l : string;
    void node(var value : int) { v = value; l = "n" + value; }
    int value() { return v; }
    node next() { return n; }
    void setNext(var other : node) { n = other; }
    void unlink() { n = null; }
    int intact() { return l == ("n" + v); }
};

class program
{
    var b : .internal.bootstrap;
    var heads : node[];
    var index : .internal.directory;
    var weak : .internal.weakref;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    // Takes the first node off list `from` and puts it at the front of list `to`.
    void move(var from : int, var to : int)
    {
        var n : node;
        n = heads[from];
        if (n :== null) return;
        heads[from] = n.next();
        n.setNext(heads[to]);
        heads[to] = n;
    }

    int figure(var name : string)
    {
        var v : .internal.long;
        var r : int;
        v = (.internal.long) (new .internal.stat()).snapshot().get(name);
        r = v;
        return r;
    }

    int sum()
    {
        var total : int;
        var i : int;
        var n : node;
        total = 0;
        i = 0;
        while (i < heads.size())
        {
            n = heads[i];
            while (n :!= null)
            {
                if (n.intact() == 0) p("damaged label at value " + n.value());
                total = total + n.value();
                n = n.next();
            }
            i = i + 1;
        }
        return total;
    }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var lists : int;
        var i : int;
        var n : node;
        var expected : int;
        var seed : int;
        var cycles_before : int;
        var garbage : string;
        lists = 500;
        heads = new node[]();
        index = new .internal.directory();
        weak = new .internal.weakref();
        i = 0;
        while (i < lists) { heads[i] = null; i = i + 1; }
        expected = 0;
        i = 0;
        while (i < 40000)
        {
            n = new node(i % 1000);
            n.setNext(heads[i % lists]);
            heads[i % lists] = n;
            expected = expected + n.value();
            i = i + 1;
        }
        cycles_before = figure("gc_cycles");
        seed = 12345;
        i = 0;
        while (i < 300000)
        {
            seed = (seed * 1103515245 + 12345) & 2147483647;
            move(seed % lists, (seed / lists) % lists);
            garbage = "garbage " + i + " from seed " + seed;
            garbage = garbage.concat(", and more of it to collect");  // string + int is one allocation now
            // A node that lives only in the directory for a while, and one only behind a weak reference.
            if (i % 7 == 0)
            {
                n = heads[seed % lists];
                if (n :!= null)
                {
                    heads[seed % lists] = n.next();
                    index.put("k" + (i % 50), n);
                    n.unlink();
                }
            }
            if (i % 7 == 3)
            {
                n = index.get("k" + ((i - 3) % 50));
                if (n :!= null)
                {
                    index.remove("k" + ((i - 3) % 50));
                    n.setNext(heads[seed % lists]);
                    heads[seed % lists] = n;
                }
            }
            if (i % 11 == 0) weak.set(heads[seed % lists]);
            if (i % 11 == 5)
            {
                n = weak.get();
                if (n :!= null) { if (n.intact() == 0) p("damaged node behind the weak reference"); }
            }
            i = i + 1;
        }
        // What is still in the directory goes back into the lists.
        i = 0;
        while (i < 50)
        {
            n = index.get("k" + i);
            if (n :!= null) { n.setNext(heads[0]); heads[0] = n; }
            i = i + 1;
        }
        p("sum " + (sum() == expected));
        p("collected incrementally " + (figure("gc_cycles") - cycles_before >= 3 && figure("gc_steps") > 10 * figure("gc_cycles")));
    }
};
