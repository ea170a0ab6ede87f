// .phantom.util.map: a small map kept as an array of key, value, key, value ... (linear search).
// Good for a handful of entries; use hashmap for more.
package .phantom.util;

class map
{
    var pairs : .internal.object[];
    var index : int;

    void map() { pairs = new .internal.object[](); index = 0; }

    .internal.object get(var key : .internal.object)
    {
        var i : int;
        i = find(key);
        if (i < 0) return null;
        return pairs[i + 1];
    }

    void put(var key : .internal.object, var value : .internal.object)
    {
        var i : int;
        i = find(key);
        if (i >= 0) { pairs[i + 1] = value; return; }
        pairs[index] = key;
        pairs[index + 1] = value;
        index = index + 2;
    }

    int remove(var key : .internal.object)
    {
        var i : int;
        i = find(key);
        if (i < 0) return 0;
        index = index - 2;
        pairs[i] = pairs[index];
        pairs[i + 1] = pairs[index + 1];
        pairs[index] = null;
        pairs[index + 1] = null;
        return 1;
    }

    int size() { return index / 2; }

    int find(var key : .internal.object)
    {
        var i : int;
        i = 0;
        while (i < index)
        {
            if (same(key, pairs[i])) return i;
            i = i + 2;
        }
        return -1;
    }

    // Equal by value when both are of one class; never asks a string to compare itself with a number.
    int same(var a : .internal.object, var b : .internal.object)
    {
        if (a :== b) return 1;
        if (a :== null || b :== null) return 0;
        if (a.getClass() :!= b.getClass()) return 0;
        return a.equals(b);
    }
};
