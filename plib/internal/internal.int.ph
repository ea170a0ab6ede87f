// .internal.int: a boxed int (pvm.md §4.3.1). toByteString is ours: 65.toByteString() is "A", a string
// of one byte (the int must be 0..255), for binary protocols (src/vm/byte_natives.h).
package .internal;

class int
{
    .internal.object clone() [3] {}
    int equals(var o : .internal.object) [4] {}
    string toString() [5] {}
    int hashCode() [15] {}
    string toByteString() [16] {}
};
