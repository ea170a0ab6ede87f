// The program of the rt.jitter benchmark (bench/rt_bench.cc): a periodic task. It sleeps 10 ms on a
// timer connection, again and again, and prints how late each wake-up was, in microseconds of the
// host's monotonic clock (.internal.time.uptime(), CLOCK_MONOTONIC): "jitter <us>".
package .bench;

class rt_jitter
{
    var t : .internal.connection;
    var clock : .internal.time;
    var b : .internal.bootstrap;

    void startup(var boot : .internal.bootstrap) [8]
    {
        var before : .internal.long;
        var after : .internal.long;
        b = boot;
        clock = new .internal.time();
        t = new .internal.connection();
        if (t.connect("tmr:") != 0) { b.consolePrint("rt_jitter: tmr: failed: " + t.lastError() + "\n"); return; }
        b.consolePrint("rt_jitter ready\n");
        while (1)
        {
            before = clock.uptime();
            t.block(null, 10);
            after = clock.uptime();
            b.consolePrint("jitter " + (after - before - 10000L) + "\n");
        }
    }
};
