// .phantom.test.library_tests: the class library's self-test, in Phantom. The build runs it in a scratch
// world (startup [8]) and the system boot class runs it on the first boot of every world. A failed check
// throws a string naming it.
package .phantom.test;

import .phantom.util.map;
import .phantom.util.hashmap;
import .phantom.util.arraylist;
import .phantom.util.stringbuilder;
import .phantom.util.iterator;
import .phantom.environment;
import .phantom.os;

class library_tests
{
    var checks : int;

    void startup(var boot : .internal.bootstrap) [8] { run_all(boot, 1); }

    void run_all(var boot : .internal.bootstrap, var verbose : int)
    {
        checks = 0;
        test_map();
        test_hashmap();
        test_arraylist();
        test_stringbuilder();
        test_environment();
        test_os();
        boot.consolePrint("library self-test: " + checks + " checks passed\n");
    }

    void check(var ok : int, var what : string)
    {
        checks = checks + 1;
        if (!ok) throw "library self-test failed: " + what;
    }

    void test_map()
    {
        var m : .phantom.util.map;
        m = new .phantom.util.map();
        check(m.size() == 0, "empty map has size 0");
        m.put("a", "1");
        m.put("b", "2");
        m.put("a", "3");
        check(m.size() == 2, "map put replaces an existing key");
        check(m.get("a") == "3", "map get after replace");
        check(m.get("zz") :== null, "map get of a missing key is null");
        check(m.remove("a") == 1, "map remove of a present key");
        check(m.remove("a") == 0, "map remove of a missing key");
        check(m.get("b") == "2", "map keeps other keys after remove");
    }

    void test_hashmap()
    {
        var h : .phantom.util.hashmap;
        var i : int;
        var sum : int;
        var keys : .phantom.util.arraylist;
        h = new .phantom.util.hashmap();
        i = 0;
        while (i < 1000) { h.put("key" + i, i); i = i + 1; }
        check(h.size() == 1000, "hashmap holds 1000 keys");
        check((int) h.get("key500") == 500, "hashmap get by string key");
        check(h.get("key1000") :== null, "hashmap get of a missing key");
        h.put("key7", 70);
        check((int) h.get("key7") == 70, "hashmap put replaces");
        check(h.size() == 1000, "hashmap replace keeps the size");
        i = 0;
        while (i < 1000) { if (i % 2 == 0) h.remove("key" + i); i = i + 1; }
        check(h.size() == 500, "hashmap remove of every even key");
        check(h.containsKey("key3") && !h.containsKey("key4"), "hashmap containsKey after remove");
        h.put(42, "int key");
        check(h.get(42) == "int key", "hashmap with an int key, found by value");
        keys = h.keys();
        check(keys.size() == 501, "hashmap keys");
        sum = 0;
        i = 0;
        while (i < 1000) { if (h.containsKey("key" + i)) sum = sum + i; i = i + 1; }
        check(sum == 250000, "hashmap holds exactly the odd keys");
        i = 0;
        while (i < 200) { h.put(i, i * 2); i = i + 1; }
        check((int) h.get(150) == 300 && (int) h.get("key501") == 501, "hashmap with int and string keys together");
        check(h.size() == 700, "hashmap size with mixed keys");
    }

    void test_arraylist()
    {
        var l : .phantom.util.arraylist;
        var it : .phantom.util.iterator;
        var total : int;
        var caught : int;
        l = new .phantom.util.arraylist();
        check(l.isEmpty(), "new list is empty");
        l.add(10);
        l.add(20);
        l.add(30);
        check(l.size() == 3, "list size after 3 adds");
        check((int) l.get(1) == 20, "list get");
        check((int) l.removeAt(0) == 10, "list removeAt returns the element");
        check((int) l.get(0) == 20 && l.size() == 2, "list removeAt shifts the rest");
        check(l.indexOf(30) == 1 && l.indexOf(99) == -1, "list indexOf");
        total = 0;
        it = l.iterate();
        while (it.hasNext()) total = total + (int) it.next();
        check(total == 50, "list iterator visits every element");
        caught = 0;
        try { l.get(5); } catch (string e) { caught = 1; }
        check(caught, "list get out of bounds throws");
    }

    void test_stringbuilder()
    {
        var b : .phantom.util.stringbuilder;
        var i : int;
        var s : string;
        b = new .phantom.util.stringbuilder();
        check(b.toString() == "", "empty builder");
        i = 0;
        while (i < 100) { b.appendInt(i % 10); i = i + 1; }
        s = b.toString();
        check(s.length() == 100 && b.length() == 100, "builder length");
        check(s.substring(0, 12) == "012345678901", "builder content");
        b.append("!");
        check(b.toString().length() == 101, "builder append after toString");
    }

    void test_environment()
    {
        var env : .phantom.environment;
        env = new .phantom.environment();
        check(env.get("x") :== null, "environment starts empty");
        env.set("x", "y");
        check(env.get("x") == "y", "environment set and get");
        check(env.getUser().getName() == "user", "environment user");
    }

    void test_os()
    {
        var os : .phantom.os;
        var d : .internal.directory;
        os = new .phantom.os();
        check(os.uptime() > 0L, "uptime is positive");
        check(os.now() > 1700000000000L, "wall clock is after 2023");
        d = os.stats();
        check(d.get("heap_used") :!= null, "stats has heap_used");
        check(os.classes().size() > 10, "classes lists the loaded classes");
        check(os.threads().size() >= 1, "threads lists this thread");
    }
};
