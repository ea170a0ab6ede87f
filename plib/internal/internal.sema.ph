// .internal.sema: a counting semaphore (pvm.md §4.3.9).
package .internal;

class sema
{
    void acquire() [8] {}
    int tacquire(var msec : int) [9] {}
    void zero() [10] {}
    void release() [11] {}
};
