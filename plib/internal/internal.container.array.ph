// .internal.container.array: the class of every T[] (pvm.md §4.3.3). Our compiler calls these by name
// on arrays: a.size(), a.get(i), a.set(v, i).
package .internal;

class container.array
{
    string toString() [5] {}
    .internal.object get(var index : int) [10] {}
    .internal.object set(var value : .internal.object, var index : int) [11] {}
    int size() [12] {}
};
