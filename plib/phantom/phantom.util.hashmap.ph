// .phantom.util.hashmap: a hash table from keys to values. Keys are compared with equals() and spread
// by hashCode(), so strings and numbers work as keys by value. The table doubles when it is 3/4 full.
package .phantom.util;

class hashmap
{
    var buckets : hashpair[];
    var nbuckets : int;
    var count : int;

    void hashmap() { reset(16); }

    void reset(var n : int)
    {
        buckets = new hashpair[]();
        buckets[n - 1] = null;
        nbuckets = n;
        count = 0;
    }

    int slot(var key : .internal.object) { return (key.hashCode() & 0x7FFFFFFF) % nbuckets; }

    hashpair find(var key : .internal.object)
    {
        var p : hashpair;
        p = buckets[slot(key)];
        while (p :!= null)
        {
            if (same(key, p.getKey())) return p;
            p = p.getNext();
        }
        return null;
    }

    // Stores value under key, replacing what was there; returns the previous value or null.
    .internal.object put(var key : .internal.object, var value : .internal.object)
    {
        var p : hashpair;
        var old : .internal.object;
        var s : int;
        if (key :== null) throw "hashmap: a key cannot be null";
        p = find(key);
        if (p :!= null) { old = p.getVal(); p.setVal(value); return old; }
        p = new hashpair();
        p.setKey(key);
        p.setVal(value);
        s = slot(key);
        p.setNext(buckets[s]);
        buckets[s] = p;
        count = count + 1;
        if (count * 4 > nbuckets * 3) grow();
        return null;
    }

    .internal.object get(var key : .internal.object)
    {
        var p : hashpair;
        p = find(key);
        if (p :== null) return null;
        return p.getVal();
    }

    int containsKey(var key : .internal.object) { return find(key) :!= null; }

    // Removes key; returns 1 if it was there.
    int remove(var key : .internal.object)
    {
        var p : hashpair;
        var prev : hashpair;
        var s : int;
        s = slot(key);
        p = buckets[s];
        prev = null;
        while (p :!= null)
        {
            if (same(key, p.getKey()))
            {
                if (prev :== null) buckets[s] = p.getNext();
                else prev.setNext(p.getNext());
                count = count - 1;
                return 1;
            }
            prev = p;
            p = p.getNext();
        }
        return 0;
    }

    int size() { return count; }

    // The keys, in no particular order.
    arraylist keys()
    {
        var out : arraylist;
        var i : int;
        var p : hashpair;
        out = new arraylist();
        i = 0;
        while (i < nbuckets)
        {
            p = buckets[i];
            while (p :!= null) { out.add(p.getKey()); p = p.getNext(); }
            i = i + 1;
        }
        return out;
    }

    void grow()
    {
        var old : hashpair[];
        var n : int;
        var i : int;
        var p : hashpair;
        old = buckets;
        n = nbuckets;
        reset(n * 2);
        i = 0;
        while (i < n)
        {
            p = old[i];
            while (p :!= null) { put(p.getKey(), p.getVal()); p = p.getNext(); }
            i = i + 1;
        }
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
