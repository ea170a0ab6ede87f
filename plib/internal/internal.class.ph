// .internal.class: a class object (pvm.md §4.3.6).
package .internal;

class "class"
{
    string toString() [5] {}
    .internal.object newClass(var name : string, var slots : int, var iface : .internal.object) [8] {}
    void setStatic(var slot : int, var value : .internal.object) [10] {}
    .internal.object getStatic(var slot : int) [11] {}
    int instanceOf(var o : .internal.object) [14] {}
};
