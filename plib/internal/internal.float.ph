// .internal.float: a boxed float (pvm.md §4.3.1).
package .internal;

class float
{
    .internal.object clone() [3] {}
    int equals(var o : .internal.object) [4] {}
    string toString() [5] {}
    int hashCode() [15] {}
};
