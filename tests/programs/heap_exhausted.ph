// heap_exhausted: a program that keeps everything it allocates reachable fills its 64 MiB arena. It must
// end with 'out of memory' (an uncaught exception), never loop in collections that free nothing.
// (The collector gives a thread one more try when a collection frees nothing new but finds free space
// below the top, as after a restart: vm/scheduler.cc.)
package .test;

class program
{
    void startup(var boot : .internal.bootstrap) [8]
    {
        var head : node;
        var n : node;
        boot.consolePrint("filling\n");
        while (1)
        {
            n = new node();
            n.link(head);
            head = n;
        }
    }
};

class node
{
    var next : node;
    var a : int;
    var b : int;
    void node() {}
    void link(var to : node) { next = to; }
};
