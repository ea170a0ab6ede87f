// The timer restart test's programs (timer_restart_test.cc). Each boot class starts a worker thread and
// returns (callbacks started while the boot method runs would wait for it to return), and the worker
// keeps the world alive by sleeping forever on a second tmr: connection. Every line printed carries the
// wall time in milliseconds, (new .internal.time()).now(), which the test compares with its own clock.
package .test;

// A one-shot timer armed for 3 s: "armed at T", then "fired at T2" from the callback.
class timer_once
{
    void startup(var boot : .internal.bootstrap) [8] { boot.startThread(new once_worker()); }
};

class once_worker
{
    var b : .internal.bootstrap;
    var t : .internal.connection;
    var s : .internal.connection;

    void run(var boot : .internal.bootstrap) [8]
    {
        var armed : .internal.long;
        b = boot;
        t = new .internal.connection();
        s = new .internal.connection();
        if (t.connect("tmr:") != 0) { b.consolePrint("connect failed: " + t.lastError() + "\n"); return; }
        if (s.connect("tmr:") != 0) { b.consolePrint("connect failed: " + s.lastError() + "\n"); return; }
        t.setCallback(this, 20);
        armed = (new .internal.time()).now();
        if (t.invoke(3000, 0) != 0) { b.consolePrint("invoke failed: " + t.lastError() + "\n"); return; }
        b.consolePrint("armed at " + armed + "\n");
        while (1) s.block(null, 1000);
    }

    void fired(var seconds : .internal.object) [20]
    {
        b.consolePrint("fired at " + (new .internal.time()).now() + " seconds " + seconds + "\n");
    }
};

// A periodic timer of 500 ms: "armed at T", then "tick at Tn" from every callback.
class timer_every
{
    void startup(var boot : .internal.bootstrap) [8] { boot.startThread(new every_worker()); }
};

class every_worker
{
    var b : .internal.bootstrap;
    var t : .internal.connection;
    var s : .internal.connection;

    void run(var boot : .internal.bootstrap) [8]
    {
        var armed : .internal.long;
        b = boot;
        t = new .internal.connection();
        s = new .internal.connection();
        if (t.connect("tmr:") != 0) { b.consolePrint("connect failed: " + t.lastError() + "\n"); return; }
        if (s.connect("tmr:") != 0) { b.consolePrint("connect failed: " + s.lastError() + "\n"); return; }
        t.setCallback(this, 20);
        armed = (new .internal.time()).now();
        if (t.invoke(500, 1) != 0) { b.consolePrint("invoke failed: " + t.lastError() + "\n"); return; }
        b.consolePrint("armed at " + armed + "\n");
        while (1) s.block(null, 1000);
    }

    void tick(var seconds : .internal.object) [20]
    {
        b.consolePrint("tick at " + (new .internal.time()).now() + "\n");
    }
};

// A sleep of 2 s: "sleeping at T", block(null, 2000), "woke at T2"; then it sleeps forever.
class timer_sleep
{
    void startup(var boot : .internal.bootstrap) [8] { boot.startThread(new sleep_worker()); }
};

class sleep_worker
{
    var b : .internal.bootstrap;
    var s : .internal.connection;

    void run(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        s = new .internal.connection();
        if (s.connect("tmr:") != 0) { b.consolePrint("connect failed: " + s.lastError() + "\n"); return; }
        b.consolePrint("sleeping at " + (new .internal.time()).now() + "\n");
        s.block(null, 2000);
        b.consolePrint("woke at " + (new .internal.time()).now() + "\n");
        while (1) s.block(null, 1000);
    }
};
