// .internal.thread: a VM thread (pvm.md §4.3.7).
package .internal;

class "thread"
{
    string toString() [5] {}
    void pause() [10] {}
    void unpause() [11] {}
    .internal.object getEnvironment() [12] {}
    .internal.object getUser() [13] {}
    .internal.object getOsInterface() [14] {}
};
