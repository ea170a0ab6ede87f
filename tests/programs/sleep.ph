// sleep
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var t0 : .internal.long;
        var t1 : .internal.long;
        var clock : .internal.time;
        clock = new .internal.time();
        t0 = clock.uptime();
        b.sleep(50);
        t1 = clock.uptime();
        p("slept at least 50 ms: " + (t1 - t0 >= 50000L));
    }
};
