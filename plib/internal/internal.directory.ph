// .internal.directory: a string-keyed map (pvm.md §4.3.4).
package .internal;

class directory
{
    string toString() [5] {}
    int put(var key : string, var value : .internal.object) [8] {}
    .internal.object get(var key : string) [9] {}
    int remove(var key : string) [10] {}
    int size() [11] {}
};
