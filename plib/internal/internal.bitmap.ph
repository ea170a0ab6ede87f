// .internal.bitmap (pvm.md §4.3.8).
package .internal;

class bitmap
{
    void loadFromString(var s : string) [8] {}
    void paintTo(var tty : .internal.object, var x : int, var y : int) [9] {}
};
