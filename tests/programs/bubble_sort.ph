// bubble_sort
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    // Byte-wise string order.
    int less(var x : string, var y : string)
    {
        var k : int;
        k = 0;
        while (k < x.length() && k < y.length())
        {
            if (x.charAt(k) != y.charAt(k)) return x.charAt(k) < y.charAt(k);
            k = k + 1;
        }
        return x.length() < y.length();
    }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var a : string[];
        var i : int;
        var j : int;
        var t : string;
        var out : string;
        a = new string[]();
        a[0] = "pear"; a[1] = "apple"; a[2] = "fig"; a[3] = "kiwi"; a[4] = "banana";
        i = 0;
        while (i < a.size())
        {
            j = 0;
            while (j < a.size() - 1 - i)
            {
                if (less(a[j + 1], a[j])) { t = a[j]; a[j] = a[j + 1]; a[j + 1] = t; }
                j = j + 1;
            }
            i = i + 1;
        }
        out = "";
        foreach (t in a) out = out + t + " ";
        p(out);
    }
};
