// library_collections
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var h : .phantom.util.hashmap;
        var l : .phantom.util.arraylist;
        var it : .phantom.util.iterator;
        var sb : .phantom.util.stringbuilder;
        var i : int;
        h = new .phantom.util.hashmap();
        h.put("one", 1);
        h.put("two", 2);
        h.put("three", 3);
        p("size " + h.size() + ", two -> " + h.get("two") + ", four -> " + h.get("four"));
        l = new .phantom.util.arraylist();
        i = 0;
        while (i < 5) { l.add("item" + i); i = i + 1; }
        l.removeAt(1);
        sb = new .phantom.util.stringbuilder();
        it = l.iterate();
        while (it.hasNext()) sb.append((string) it.next()).append(";");
        p(sb.toString());
        b.consolePrint(sb);
        p("");
    }
};

import .phantom.util.hashmap;
import .phantom.util.arraylist;
import .phantom.util.iterator;
import .phantom.util.stringbuilder;
