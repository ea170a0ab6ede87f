// .internal.string: an immutable byte string (pvm.md §4.3.2).
package .internal;

class string
{
    int equals(var o : .internal.object) [4] {}
    string toString() [5] {}
    string substring(var index : int, var length : int) [8] {}
    int charAt(var index : int) [9] {}
    string concat(var s : string) [10] {}
    int length() [11] {}
    int strstr(var s : string) [12] {}
    int setImmutable() [14] {}
    int hashCode() [15] {}
    int toInt() [16] {}
    .internal.long toLong() [17] {}
    .internal.float toFloat() [18] {}
    .internal.double toDouble() [19] {}
    .internal.object parseJson() [20] {}
};
