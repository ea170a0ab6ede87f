// The program of the output.commit_latency benchmark (bench/commit_bench.cc): every 20 ms it appends
// one line to the committed file latency.txt holding the host's monotonic clock in microseconds
// (.internal.time.uptime(), CLOCK_MONOTONIC) at the moment of the write. The bench, on the same
// machine, sees each line appear in the file (released after its snapshot committed) and subtracts.
package .bench;

class commit_latency
{
    var f : .internal.connection;
    var t : .internal.connection;
    var clock : .internal.time;
    var b : .internal.bootstrap;

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        clock = new .internal.time();
        f = new .internal.connection();
        if (f.connect("fio:latency.txt") != 0) { b.consolePrint("commit_latency: connect failed: " + f.lastError() + "\n"); return; }
        t = new .internal.connection();
        if (t.connect("tmr:") != 0) { b.consolePrint("commit_latency: tmr: failed: " + t.lastError() + "\n"); return; }
        b.consolePrint("commit_latency ready\n");
        while (1)
        {
            t.block(null, 20);
            f.block("" + clock.uptime() + "\n", 1);
        }
    }
};
