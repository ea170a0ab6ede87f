// The programs of the window-system benchmarks (bench/ui_bench.cc), each a boot class. Each prints one
// "<name> ready" line once its windows are on the desktop; the bench measures from then on.
package .bench;

// Ten overlapping 400x300 windows in a cascade, each with its own background, shapes and text, as a
// busy desktop looks. Used by ui_desktop (ui.compose: the bench composes them in its own process once
// the program has ended) and ui_idle (ui.snapshot_cost: the same desktop, left alone).
class ui_windows
{
    var windows : .internal.window[];

    // Opens `count` windows, each above the last, and returns the top one.
    .internal.window draw(var count : int)
    {
        var i : int;
        var w : .internal.window;
        windows = new .internal.window[]();
        i = 0;
        while (i < count)
        {
            w = new .internal.window();
            w.setWinSize(400, 300);
            w.setWinPosition(40 + 50 * i, 60 + 30 * i);
            w.setTitle("Window " + i);
            w.setBg(0xFF000000 + (i * 37 % 256) * 65536 + (i * 91 % 256) * 256 + (i * 53 % 256));
            w.clear();
            w.setFg(0xFFFFFFFF);
            w.fillBox(20, 20, 120, 80);
            w.setFg(0xFF202020);
            w.fillEllipse(200, 100, 150, 120);
            w.drawLine(10, 10, 380, 280);
            w.drawString(20, 260, "window " + i);
            w.drawText(20, 200, "Phantom", 24);
            w.update();
            windows[i] = w;
            i = i + 1;
        }
        return w;
    }
};

// ui.compose: draws the desktop and ends; the windows stay in the world.
class ui_desktop
{
    var d : ui_windows;
    void startup(var boot : .internal.bootstrap) [8]
    {
        d = new ui_windows();
        d.draw(10);
        boot.consolePrint("ui_desktop ready\n");
    }
};

// ui.snapshot_cost, idle: the same desktop, then nothing: the thread waits for an event that never comes.
class ui_idle
{
    var d : ui_windows;
    void startup(var boot : .internal.bootstrap) [8]
    {
        var top : .internal.window;
        d = new ui_windows();
        top = d.draw(10);
        boot.consolePrint("ui_idle ready\n");
        while (1) top.nextEvent();
    }
};

// ui.snapshot_cost's anchor: a world without windows, idle, to tell what every snapshot writes anyway.
class ui_no_windows
{
    void startup(var boot : .internal.bootstrap) [8]
    {
        boot.consolePrint("ui_no_windows ready\n");
        while (1) boot.sleep(1000000);
    }
};

// ui.snapshot_cost, animated: a 400x300 window in which a centred rectangle of `dw` x `dh` is filled
// with a new colour every 20 ms (50 frames a second), nothing else drawn.
class ui_animator
{
    var w : .internal.window;

    void animate(var boot : .internal.bootstrap, var dw : int, var dh : int)
    {
        var n : int;
        w = new .internal.window();
        w.setWinSize(400, 300);
        w.setWinPosition(200, 200);
        w.setTitle("Animated");
        w.setBg(0xFFFFFFFF);
        w.clear();
        boot.consolePrint("ui_animate ready\n");
        n = 0;
        while (1)
        {
            n = n + 1;
            w.setFg(0xFF000000 + (n * 37 % 256) * 65536 + (n * 91 % 256) * 256 + (n * 53 % 256));
            w.fillBox((400 - dw) / 2, (300 - dh) / 2, dw, dh);
            w.update();
            boot.sleep(20);
        }
    }
};

// The whole window redrawn every frame.
class ui_animate
{
    void startup(var boot : .internal.bootstrap) [8] { (new ui_animator()).animate(boot, 400, 300); }
};

// A 100x100 square in the middle of the window redrawn every frame: the rows it spans, not the window.
class ui_animate_box
{
    void startup(var boot : .internal.bootstrap) [8] { (new ui_animator()).animate(boot, 100, 100); }
};

// ui.latency: every 50 ms the 400x300 window is cleared to a new colour (clear shows at once: no
// update() needed), between two readings of CLOCK_MONOTONIC in µs (.internal.time.uptime()). Each frame
// prints "frame <n> <colour> <before> <after>"; the bench, on the same machine, watches a pixel in the
// middle of the window through a VNC client and subtracts. Consecutive colours always differ.
class ui_latency
{
    void startup(var boot : .internal.bootstrap) [8]
    {
        var w : .internal.window;
        var clock : .internal.time;
        var t0 : .internal.long;
        var t1 : .internal.long;
        var n : int;
        var c : int;
        clock = new .internal.time();
        w = new .internal.window();
        w.setWinSize(400, 300);
        w.setWinPosition(300, 200);
        w.setTitle("Latency");
        w.setBg(0xFFFFFFFF);
        w.clear();
        boot.consolePrint("ui_latency ready " + w.getX() + " " + w.getY() + " " + w.getXSize() + " " + w.getYSize() + "\n");
        n = 0;
        while (1)
        {
            n = n + 1;
            c = 0xFF000000 + (n * 37 % 256) * 65536 + (n * 91 % 256) * 256 + (n * 53 % 256);
            t0 = clock.uptime();
            w.setBg(c);
            w.clear();
            t1 = clock.uptime();
            boot.consolePrint("frame " + n + " " + c + " " + t0 + " " + t1 + "\n");
            boot.sleep(50);
        }
    }
};
