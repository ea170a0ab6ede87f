// .internal.cond: a condition variable used with a mutex (pvm.md §4.3.9).
package .internal;

class cond
{
    void wait(var m : .internal.mutex) [8] {}
    int twait(var m : .internal.mutex, var msec : int) [9] {}
    void broadcast() [10] {}
    void signal() [11] {}
};
