// .internal.bitmap (pvm.md §4.3.8): a picture; loadFromString reads P6 PPM and (ours) PNG.
package .internal;

class bitmap
{
    void loadFromString(var s : string) [8] {}
    void paintTo(var tty : .internal.object, var x : int, var y : int) [9] {}
    int getWidth() [10] {}
    int getHeight() [11] {}
};
