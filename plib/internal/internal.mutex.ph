// .internal.mutex (pvm.md §4.3.9).
package .internal;

class mutex
{
    void lock() [8] {}
    void unlock() [9] {}
    int trylock() [10] {}
};
