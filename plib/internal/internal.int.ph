// .internal.int: a boxed int (pvm.md §4.3.1).
package .internal;

class int
{
    .internal.object clone() [3] {}
    int equals(var o : .internal.object) [4] {}
    string toString() [5] {}
    int hashCode() [15] {}
};
