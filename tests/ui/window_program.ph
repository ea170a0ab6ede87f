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

// Bad input from a program: lying and truncated pictures, absurd sizes, drawing far outside the window.
// Each picture error must be a caught exception with a message; nothing may crash; the window must
// still draw afterwards. Prints "caught: <message>" per refused picture, then "survived".
class ui_bad_input
{
    void startup(var boot : .internal.bootstrap) [8] { boot.startThread(new ui_bad_input_worker()); }
};

class ui_bad_input_worker
{
    var b : .internal.bootstrap;

    string bytes(var list : int[], var n : int)
    {
        var s : string;
        var i : int;
        s = "";
        i = 0;
        while (i < n) { s = s + list[i].toByteString(); i = i + 1; }
        return s;
    }

    void load(var what : string, var data : string)
    {
        var bm : .internal.bitmap;
        bm = new .internal.bitmap();
        try
        {
            bm.loadFromString(data);
            b.consolePrint("loaded " + what + ": " + bm.getWidth() + "x" + bm.getHeight() + "\n");
        }
        catch (string e) { b.consolePrint("caught " + what + ": " + e + "\n"); }
    }

    // A PNG signature and an IHDR chunk for w x h RGBA, its CRC (c0..c3, computed beforehand), no data.
    string png_head(var w : int, var h : int, var c0 : int, var c1 : int, var c2 : int, var c3 : int)
    {
        var v : int[];
        v = new int[]();
        v[0] = 137; v[1] = 80; v[2] = 78; v[3] = 71; v[4] = 13; v[5] = 10; v[6] = 26; v[7] = 10;
        v[8] = 0; v[9] = 0; v[10] = 0; v[11] = 13; v[12] = 73; v[13] = 72; v[14] = 68; v[15] = 82;
        v[16] = (w / 16777216) % 256; v[17] = (w / 65536) % 256; v[18] = (w / 256) % 256; v[19] = w % 256;
        v[20] = (h / 16777216) % 256; v[21] = (h / 65536) % 256; v[22] = (h / 256) % 256; v[23] = h % 256;
        v[24] = 8; v[25] = 6; v[26] = 0; v[27] = 0; v[28] = 0;
        v[29] = c0; v[30] = c1; v[31] = c2; v[32] = c3;
        return bytes(v, 33);
    }

    void run(var boot : .internal.bootstrap) [8]
    {
        var w : .internal.window;
        var ok : .internal.bitmap;
        b = boot;
        w = new .internal.window();
        w.setTitle("Bad input");
        w.setWinSize(200, 100);
        w.setBg(0xFFFFFFFF);
        w.clear();

        load("empty", "");
        load("not a picture", "hello, world");
        load("truncated ppm", "P6\n8 8\n255\nabc");
        load("huge ppm", "P6\n100000 100000\n255\n");
        load("negative ppm", "P6\n-8 8\n255\n");
        load("ppm maxval 0", "P6\n1 1\n0\nabc");
        load("png with a bad crc", png_head(8, 8, 1, 2, 3, 4));
        load("lying png", png_head(16384, 16384, 169, 200, 16, 132));
        load("truncated png", png_head(8, 8, 196, 15, 190, 139));
        load("zero png", png_head(0, 0, 59, 139, 124, 18));

        // Sizes and positions far outside what makes sense: clipped, clamped or refused, never a crash.
        try { w.setWinSize(100000, 100000); } catch (string e) { b.consolePrint("caught setWinSize: " + e + "\n"); }
        try { w.setWinSize(-5, 0); } catch (string e) { b.consolePrint("caught setWinSize: " + e + "\n"); }
        w.setWinSize(200, 100);
        w.setWinPosition(2000000000, -2000000000);
        w.setWinPosition(100, 100);
        w.setFg(0xFF0000FF);
        w.fillBox(-2147483647, -2147483647, 2147483647, 2147483647);
        w.fillBox(2147483000, 2147483000, 2147483647, 2147483647);
        w.drawBox(-1000000, -1000000, 2000000000, 2000000000);
        w.drawLine(-2147483647, -2147483647, 2147483647, 2147483647);
        w.drawLine(5, 5, -2147483647, 2147483647);
        w.fillEllipse(-2147483647, -2147483647, 2147483647, 2147483647);
        w.fillEllipse(10, 10, 2147483647, 3);
        w.drawString(2147483600, 2147483600, "far away");
        w.drawString(-2147483600, 50, "far left");
        w.drawText(-2147483600, 2147483600, "far", 20);
        try { w.drawText(10, 50, "huge", 100000); } catch (string e) { b.consolePrint("caught drawText: " + e + "\n"); }
        try { w.drawText(10, 50, "negative", -5); } catch (string e) { b.consolePrint("caught drawText: " + e + "\n"); }
        w.scrollHor(-2147483647, -2147483647, 2147483647, 2147483647, 2147483647);
        w.scrollHor(0, 0, 200, 100, -2147483647);
        ok = new .internal.bitmap();
        ok.loadFromString("P6\n1 1\n255\nabc");
        w.drawImage(2147483647, 2147483647, ok);
        w.drawImage(-2147483647, -2147483647, ok);
        w.drawImagePart(0, 0, ok, -100, -100, 2147483647, 2147483647);
        w.drawImagePart(0, 0, ok, 2147483647, 2147483647, 5, 5);
        w.update();

        // Still drawing: a green box in a white window.
        w.setBg(0xFFFFFFFF);
        w.clear();
        w.setFg(0xFF00C000);
        w.fillBox(10, 10, 50, 50);
        w.update();
        b.consolePrint("survived\n");
        while (1) b.sleep(1000);
    }
};

// .internal.ui.font: every typeface at two sizes, widths and line heights printed, bad names and sizes
// refused with messages. Compared with tests/ui/golden/fonts.png.
class ui_fonts
{
    void startup(var boot : .internal.bootstrap) [8]
    {
        var w : .internal.window;
        var w2 : .internal.window;
        var f : .internal.ui.font;
        var names : string[];
        var i : int;
        var y : int;
        w = new .internal.window();
        w.setWinSize(520, 330);
        w.setWinPosition(60, 120);
        w.setTitle("Fonts");
        w.setBg(0xFFFFFFFF);
        w.clear();
        w.setFg(0xFF000000);
        f = new .internal.ui.font();
        boot.consolePrint("default " + f.getName() + " " + f.getSize() + "\n");
        f.drawString(w, 10, 305, "Default: " + f.getName() + " " + f.getSize() + " px");
        names = new string[]();
        names[0] = "sans"; names[1] = "sans-bold"; names[2] = "mono"; names[3] = "mono-bold"; names[4] = "serif"; names[5] = "serif-bold";
        y = 270;
        i = 0;
        while (i < 6)
        {
            f.setFont(names[i], 20);
            f.drawString(w, 10, y, names[i] + " 20: Phantom 0123");
            boot.consolePrint(names[i] + " width " + f.width("Phantom") + " line " + f.lineHeight() + "\n");
            y = y - f.lineHeight() - 8;
            i = i + 1;
        }
        f.setFont("serif", 40);
        w.setFg(0xFF2050A0);
        f.drawString(w, 10, 20, "Big serif");
        try { f.setFont("comic", 12); } catch (string e) { boot.consolePrint("caught: " + e + "\n"); }
        try { f.setFont("sans", 3); } catch (string e) { boot.consolePrint("caught: " + e + "\n"); }
        w2 = null;
        try { f.drawString(w2, 0, 0, "x"); } catch (string e) { boot.consolePrint("caught: " + e + "\n"); }
        boot.consolePrint("drawn " + f.getName() + " " + f.getSize() + "\n");
        while (1) boot.sleep(1000);
    }
};
