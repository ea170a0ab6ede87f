// .internal.binary: a byte buffer (pvm.md §4.3.8).
package .internal;

class binary
{
    int getByte(var index : int) [8] {}
    void setByte(var index : int, var value : int) [9] {}
    void setRange(var src : .internal.binary, var toPos : int, var fromPos : int, var len : int) [10] {}
};
