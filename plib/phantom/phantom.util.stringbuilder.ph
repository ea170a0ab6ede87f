// .phantom.util.stringbuilder: builds a long string from many pieces without copying it on every
// append; toString() joins the pieces pairwise, so n pieces cost O(total length x log n).
package .phantom.util;

class stringbuilder extends .internal.object
{
    var parts : string[];
    var n : int;
    var total : int;

    void stringbuilder() { clear(); }

    void clear() { parts = new string[](); n = 0; total = 0; }

    stringbuilder append(var s : string)
    {
        if (s :== null) s = "null";
        parts[n] = s;
        n = n + 1;
        total = total + s.length();
        return this;
    }

    stringbuilder appendObject(var o : .internal.object) { return append(o.toString()); }

    stringbuilder appendInt(var i : int) { return append(i.toString()); }

    int length() { return total; }

    string toString()
    {
        var level : string[];
        var count : int;
        var i : int;
        var next : string[];
        if (n == 0) return "";
        level = parts;
        count = n;
        while (count > 1)
        {
            next = new string[]();
            i = 0;
            while (i + 1 < count) { next[i / 2] = level[i].concat(level[i + 1]); i = i + 2; }
            if (i < count) next[i / 2] = level[i];
            level = next;
            count = (count + 1) / 2;
        }
        parts = level;  // keep the joined result: a second toString() is free
        n = 1;
        return level[0];
    }
};
