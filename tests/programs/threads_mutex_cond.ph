// threads_mutex_cond
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        // Threads started by the boot method wait until it returns (pvm.md §3.9), so the waiting is done
        // by a coordinator thread.
        var c : coordinator;
        c = new coordinator();
        c.setup(b);
        b.startThread(c);
        p("boot method returns");
    }
};

class coordinator
{
    var b : .internal.bootstrap;
    var lock : .internal.mutex;
    var done : .internal.cond;
    var finished : int;
    var total : int;

    void setup(var boot : .internal.bootstrap) { b = boot; }

    void run(var boot) [8]
    {
        var w : worker;
        var i : int;
        lock = new .internal.mutex();
        done = new .internal.cond();
        i = 0;
        while (i < 4) { w = new worker(); w.setup(this, i); b.startThread(w); i = i + 1; }
        lock.lock();
        while (finished < 4) done.wait(lock);
        lock.unlock();
        b.consolePrint("4 workers finished, total " + total + "\n");
    }

    void report(var amount : int)
    {
        lock.lock();
        total = total + amount;
        finished = finished + 1;
        done.broadcast();
        lock.unlock();
    }
};

class worker
{
    var owner : coordinator;
    var id : int;

    void setup(var o : coordinator, var n : int) { owner = o; id = n; }

    void run(var boot) [8]
    {
        var k : int;
        var sum : int;
        k = 0;
        sum = 0;
        while (k < 1000) { sum = sum + 1; k = k + 1; }
        owner.report(sum + id);
    }
};
