// .internal.weakref: a reference the collector may clear (pvm.md §4.3).
package .internal;

class weakref
{
    .internal.object get() [8] {}
    void set(var o : .internal.object) [9] {}
};
