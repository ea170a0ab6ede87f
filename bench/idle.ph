// idle: the world of the footprint benchmark's idle figure. It boots, says so, and sleeps on a timer,
// a minute at a time, forever: what a device's world costs while it waits.
package .bench;

class idle
{
    void startup(var boot : .internal.bootstrap) [8]
    {
        var t : .internal.connection;
        t = new .internal.connection();
        t.connect("tmr:");
        boot.consolePrint("idle\n");
        while (1) t.block(null, 60000);
    }
};
