// .demo.desktop: the system as a desktop. Boot it with a display (`--display vnc`, `sdl` or `headless`):
// a gradient background (boot setScreenBackground), the console shell in a TTY window, a "World" window
// with live figures of the world (uptime of this run, boots, snapshots and the last pause, heap,
// threads) once a second, and the task bar at the bottom with a button per window and the clock. Everything but the task bar and the decorations is the
// world's: kill -9 Phantom, start it again, and the shell, its history and the windows are where they were.
package .demo;

import .internal.long;

class desktop
{
    var loader : .ru.dz.phantom.system.class_loader;

    void startup(var boot : .internal.bootstrap) [8]
    {
        loader = new .ru.dz.phantom.system.class_loader();
        loader.init(boot);
        boot.setClassLoader(loader);
        background(boot);
        boot.startThread(new .ru.dz.phantom.system.shell());
        boot.startThread(new desktop_world_window());
    }

    // A vertical gradient from dusk blue at the top to a lighter blue at the bottom, as a 1024x768 P6
    // picture for the screen's background window (which keeps it in the world like any window).
    void background(var boot : .internal.bootstrap)
    {
        var rows : string[];
        var i : int;
        var pic : .internal.bitmap;
        rows = new string[]();
        i = 0;
        while (i < 768)
        {
            rows[i] = repeat((30 + 40 * i / 767).toByteString() + (50 + 60 * i / 767).toByteString() + (80 + 70 * i / 767).toByteString(), 1024);
            i = i + 1;
        }
        pic = new .internal.bitmap();
        pic.loadFromString("P6\n1024 768\n255\n" + join(rows, 0, 768));
        boot.setScreenBackground(pic);
    }

    // `s` n times, by doubling (n > 0).
    string repeat(var s : string, var n : int)
    {
        var half : string;
        if (n == 1) return s;
        half = repeat(s, n / 2);
        if (n % 2 == 1) return half + half + s;
        return half + half;
    }

    // rows[from] + ... + rows[to - 1], halving, so that each byte is copied about log2(n) times, not n.
    string join(var rows : string[], var from : int, var to : int)
    {
        var mid : int;
        if (to - from == 1) return rows[from];
        mid = (from + to) / 2;
        return join(rows, from, mid) + join(rows, mid, to);
    }
};

// The "World" window: a line per figure, values repainted in place every second (only the value
// boxes are redrawn, so the window dirties a few pages a second, not its whole 300x200 pixels).
class desktop_world_window
{
    var w : .internal.window;
    var os : .phantom.os;

    void run(var boot : .internal.bootstrap) [8]
    {
        var i : int;
        var names : string[];
        os = new .phantom.os();
        w = new .internal.window();
        w.setWinSize(300, 200);
        w.setWinPosition(700, 500);
        w.setTitle("World");
        w.setBg(0xFFF4F6F8);
        w.clear();
        names = new string[]();
        names[0] = "uptime";
        names[1] = "boots";
        names[2] = "snapshot";
        names[3] = "last pause";
        names[4] = "heap";
        names[5] = "threads";
        w.setFg(0xFF404850);
        i = 0;
        while (i < 6)
        {
            w.drawText(12, row(i) + 4, names[i], 14);
            i = i + 1;
        }
        w.update();
        boot.consolePrint("desktop: world window drawn\n");
        while (1)
        {
            refresh();
            boot.sleep(1000);
        }
    }

    int row(var i : int) { return 170 - i * 30; }

    void show(var i : int, var value : string)
    {
        w.setFg(0xFFF4F6F8);
        w.fillBox(110, row(i) - 2, 185, 22);
        w.setFg(0xFF000000);
        w.drawText(110, row(i) + 4, value, 14);
    }

    string clock(var seconds : int)
    {
        var m : int;
        var s : int;
        m = seconds / 60 % 60;
        s = seconds % 60;
        return "" + seconds / 3600 + ":" + m / 10 + m % 10 + ":" + s / 10 + s % 10;
    }

    int figure(var d : .internal.directory, var name : string, var unit : int)
    {
        var v : .internal.long;
        var r : int;
        v = (.internal.long) d.get(name);
        if (v == null) return 0;
        r = v / unit;
        return r;
    }

    void refresh()
    {
        var d : .internal.directory;
        var pause : int;
        d = os.stats();
        show(0, clock(figure(d, "uptime_ms", 1000)));
        show(1, "" + figure(d, "boots", 1));
        show(2, "#" + figure(d, "last_snapshot", 1) + ", " + figure(d, "snapshots_this_run", 1) + " this run");
        pause = figure(d, "last_pause_us", 1);
        show(3, "" + pause / 1000 + "." + pause / 100 % 10 + pause / 10 % 10 + " ms");
        show(4, "" + figure(d, "heap_used", 1048576) + " of " + figure(d, "heap_capacity", 1048576) + " MiB");
        show(5, "" + figure(d, "threads", 1));
        w.update();
    }
};
