// .internal.object: the root of every class. Native methods; ordinals are the VM's (pvm.md §4.2).
package .internal;

class object
{
    void object() [0] {}
    void destruct_me() [1] {}
    .internal."class" getClass() [2] {}
    .internal.object clone() [3] {}
    int equals(var o : .internal.object) [4] {}
    string toString() [5] {}
    int setImmutable() [14] {}
    int hashCode() [15] {}
};
