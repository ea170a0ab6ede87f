// .phantom.util.arraylist: a growable list of objects with index access.
package .phantom.util;

class arraylist
{
    var items : .internal.object[];
    var count : int;

    void arraylist() { items = new .internal.object[](); count = 0; }

    void add(var o : .internal.object) { items[count] = o; count = count + 1; }

    .internal.object get(var i : int) { check(i); return items[i]; }

    void set(var i : int, var o : .internal.object) { check(i); items[i] = o; }

    int size() { return count; }

    int isEmpty() { return count == 0; }

    // Removes the element at i; the elements after it move down by one.
    .internal.object removeAt(var i : int)
    {
        var removed : .internal.object;
        check(i);
        removed = items[i];
        while (i < count - 1) { items[i] = items[i + 1]; i = i + 1; }
        count = count - 1;
        items[count] = null;
        return removed;
    }

    int indexOf(var o : .internal.object)
    {
        var i : int;
        i = 0;
        while (i < count)
        {
            if (same(o, items[i])) return i;
            i = i + 1;
        }
        return -1;
    }

    int contains(var o : .internal.object) { return indexOf(o) >= 0; }

    void clear() { items = new .internal.object[](); count = 0; }

    iterator iterate() { return new arraylist_iterator(this); }

    void check(var i : int)
    {
        if (i < 0 || i >= count) throw "arraylist: index " + i + " is out of bounds (size " + count + ")";
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

class arraylist_iterator implements iterator
{
    var list : arraylist;
    var position : int;

    void arraylist_iterator() { position = 0; }
    void arraylist_iterator(var l : arraylist) { list = l; position = 0; }

    int hasNext() { return position < list.size(); }

    .internal.object next()
    {
        position = position + 1;
        return list.get(position - 1);
    }
};
