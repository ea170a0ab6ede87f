// .internal.connection: a kernel connection (pvm.md §4.3.10).
package .internal;

class connection
{
    int connect(var name : string) [8] {}
    int disconnect() [9] {}
    int invoke(var o : .internal.object, var op : int) [11] {}
    int setCallback(var o : .internal.object, var method : int) [12] {}
    .internal.object block(var o : .internal.object, var msec : int) [13] {}
};
