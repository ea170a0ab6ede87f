// .internal.world: the world object (pvm.md §4.3.7).
package .internal;

class world
{
    string toString() [5] {}
    .internal."thread" getMyThread() [8] {}
};
