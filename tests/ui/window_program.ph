// Programs of the window system's end-to-end tests (window_world_test.cc), each a boot class. Every
// program prints "drawn" once its windows are on the desktop, then reports what it receives, one line
// per event, so the test can check that each event arrives exactly once.
package .test;

// Every window native and a TTY, on a headless desktop: compared with tests/ui/golden/natives.png.
class ui_natives
{
    void startup(var boot : .internal.bootstrap) [8] { boot.startThread(new ui_natives_worker()); }
};

class ui_natives_worker
{
    var b : .internal.bootstrap;
    var w : .internal.window;
    var p : .internal.window;
    var t : .internal.io.tty;

    string px(var r : int, var g : int, var bl : int) { return r.toByteString() + g.toByteString() + bl.toByteString(); }

    // An 8x8 P6 picture: a red top row, a green left column, blue elsewhere (rows are top first in PPM).
    string picture()
    {
        var s : string;
        var x : int;
        var y : int;
        s = "P6\n# made by the test\n8 8\n255\n";
        y = 0;
        while (y < 8)
        {
            x = 0;
            while (x < 8)
            {
                if (y == 0) s = s + px(255, 0, 0);
                else if (x == 0) s = s + px(0, 255, 0);
                else s = s + px(0, 0, 255);
                x = x + 1;
            }
            y = y + 1;
        }
        return s;
    }

    void run(var boot : .internal.bootstrap) [8]
    {
        var bm : .internal.bitmap;
        var e : int[];
        b = boot;
        w = new .internal.window();
        w.setTitle("Shapes");
        w.setFg(0xFFFF0000);
        w.fillBox(10, 10, 100, 50);
        w.setFg(0xFF0000FF);
        w.drawBox(120, 10, 100, 50);
        w.setFg(0xFF008000);
        w.drawLine(10, 80, 200, 60);
        w.setFg(0xFFFFA500);
        w.fillEllipse(240, 10, 120, 80);
        w.setFg(0xFF000000);
        w.drawString(10, 200, "Hello, Phantom");
        w.drawText(10, 240, "TrueType 20px", 20);
        bm = new .internal.bitmap();
        bm.loadFromString(picture());
        w.drawImage(300, 200, bm);
        w.drawImagePart(330, 200, bm, 0, 4, 8, 4);
        w.update();

        p = new .internal.window();
        p.setWinSize(200, 120);
        p.setWinPosition(600, 420);
        p.setTitle("Second");
        p.setBg(0xFFDDEEFF);
        p.clear();
        p.setFg(0xFF000000);
        p.drawString(8, 50, "size " + p.getXSize() + "x" + p.getYSize() + " at " + p.getX() + "," + p.getY());

        t = new .internal.io.tty();
        t.moveWindow(560, 60);
        t.setTitle("TTY");
        t.putws("first line\n");
        t.putws((27).toByteString() + "[31mred" + (27).toByteString() + "[0m and " + (27).toByteString() + "[7mreverse" + (27).toByteString() + "[0m\n");
        t.putws("third line");
        boot.startThread(new ui_tty_reader(t, boot));
        b.consolePrint("drawn\n");
        while (1)
        {
            e = w.nextEvent();
            if (e[0] == 1) b.consolePrint("mouse " + e[1] + " " + e[2] + " buttons " + e[3] + " pressed " + e[4] + " released " + e[5] + "\n");
            else if (e[0] == 2) b.consolePrint("key " + e[1] + " char " + e[2] + " down " + e[3] + "\n");
            else b.consolePrint("window " + e[1] + "\n");
        }
    }
};

// Reads keys typed into the TTY window (and console input): "typed X" for each.
class ui_tty_reader
{
    var t : .internal.io.tty;
    var b : .internal.bootstrap;

    void ui_tty_reader(var tty : .internal.io.tty, var boot : .internal.bootstrap) { t = tty; b = boot; }

    void run(var boot : .internal.bootstrap) [8]
    {
        var c : string;
        while (1)
        {
            c = t.getwc();
            if (c.length() == 0) return;
            b.consolePrint("typed " + c + "\n");
        }
    }
};

// The kill test's painter: step n (1, 2, ...) fills cell (n - 1) % 240 of a 20x12 grid of 16x16 cells
// with a colour made from n - 1, moves the window to x = 100 + (n - 1) % 64 and sets its title to
// "paint n", then prints "step n"; it never ends, so however slowly the test kills, the picture keeps
// changing. The screen of a resumed world must show exactly the state after some step m: each cell in
// the colour of the last step that filled it, with the window's place of step m.
class ui_paint
{
    void startup(var boot : .internal.bootstrap) [8] { boot.startThread(new ui_paint_worker()); }
};

class ui_paint_worker
{
    var w : .internal.window;
    var n : int;

    void run(var boot : .internal.bootstrap) [8]
    {
        var k : int;
        w = new .internal.window();
        w.setWinSize(320, 192);
        w.setTitle("paint 0");
        w.setBg(0xFFFFFFFF);
        w.clear();
        n = 0;
        boot.consolePrint("drawn\n");
        while (1)
        {
            k = n % 240;
            w.setFg(0xFF000000 + (n * 37 % 256) * 65536 + (n * 91 % 256) * 256 + (n * 53 % 256));
            w.fillBox((k % 20) * 16, (k / 20) * 16, 16, 16);
            w.setWinPosition(100 + n % 64, 150);
            n = n + 1;
            w.setTitle("paint " + n);
            w.update();
            boot.consolePrint("step " + n + "\n");
            boot.sleep(40);
        }
    }
};

// The widget library: a form with a label, a text field, a button and a list. The boot method returns
// at once: the form's event thread keeps the world alive.
class ui_greet extends .phantom.ui.action
{
    var f : .phantom.ui.text_field;
    var b : .internal.bootstrap;
    void ui_greet(var field : .phantom.ui.text_field, var boot : .internal.bootstrap) { f = field; b = boot; }
    void run(var source : .phantom.ui.widget) { b.consolePrint("hello " + f.getText() + "\n"); }
};

class ui_picked extends .phantom.ui.action
{
    var b : .internal.bootstrap;
    void ui_picked(var boot : .internal.bootstrap) { b = boot; }
    void run(var source : .phantom.ui.widget) { b.consolePrint("picked " + ((.phantom.ui.list_box) source).getSelected() + "\n"); }
};

class ui_widgets
{
    var f : .phantom.ui.form;
    void startup(var boot : .internal.bootstrap) [8]
    {
        var name : .phantom.ui.text_field;
        var ok : .phantom.ui.button;
        var l : .phantom.ui.list_box;
        f = new .phantom.ui.form("Greeting", 300, 160);
        f.add(new .phantom.ui.label("Your name:"), 10, 120, 200, 24);
        name = new .phantom.ui.text_field();
        f.add(name, 10, 85, 200, 26);
        ok = new .phantom.ui.button("OK");
        f.add(ok, 220, 85, 70, 26);
        ok.setAction(new ui_greet(name, boot));
        l = new .phantom.ui.list_box();
        l.add("one"); l.add("two"); l.add("three");
        l.setAction(new ui_picked(boot));
        f.add(l, 10, 10, 200, 64);
        f.show();
        boot.consolePrint("drawn\n");
    }
};
