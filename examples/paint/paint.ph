// .demo.paint: draw with the mouse. A palette of eight colours and three brush sizes on the left, a
// "Clear" box under them, the canvas to the right. The drawing is the window's pixels, which are part
// of the world: kill -9 Phantom and start it again, and the picture is there, up to the last snapshot.
package .demo;

class paint
{
    void startup(var boot : .internal.bootstrap) [8] { boot.startThread(new paint_worker()); }
};

class paint_worker
{
    var w : .internal.window;
    var palette : int[];
    var colour : int;
    var brush : int;
    var down : int;
    var lastX : int;
    var lastY : int;
    var strokes : int;

    // The tool column: 8 colour swatches, 3 brush sizes and "Clear", each 40x30, from the top.
    int toolTop(var i : int) { return 390 - i * 34; }

    void run(var boot : .internal.bootstrap) [8]
    {
        var e : int[];
        w = new .internal.window();
        w.setWinSize(640, 420);
        w.setWinPosition(150, 180);
        w.setTitle("Paint");
        palette = new int[]();
        palette[0] = 0xFF000000; palette[1] = 0xFFD03030; palette[2] = 0xFF30A040; palette[3] = 0xFF3060D0;
        palette[4] = 0xFFF0C020; palette[5] = 0xFF9040C0; palette[6] = 0xFF30B0C0; palette[7] = 0xFFFFFFFF;
        colour = palette[0];
        brush = 6;
        down = 0;
        strokes = 0;
        w.setBg(0xFFFFFFFF);
        w.clear();
        drawTools();
        boot.consolePrint("paint: ready\n");
        while (1)
        {
            e = w.nextEvent();
            if (e[0] == 1) mouse(e, boot);
        }
    }

    void drawTools()
    {
        var i : int;
        w.setFg(0xFFE8E8E8);
        w.fillBox(0, 0, 60, 420);
        w.setFg(0xFF909090);
        w.drawLine(60, 0, 0, 420);
        i = 0;
        while (i < 8)
        {
            w.setFg(palette[i]);
            w.fillBox(10, toolTop(i), 40, 30);
            if (palette[i] == colour) w.setFg(0xFFFF00FF); else w.setFg(0xFF606060);
            w.drawBox(10, toolTop(i), 40, 30);
            i = i + 1;
        }
        i = 0;
        while (i < 3)
        {
            w.setFg(0xFFFFFFFF);
            w.fillBox(10, toolTop(8 + i), 40, 30);
            if (2 + i * 4 == brush) w.setFg(0xFFFF00FF); else w.setFg(0xFF606060);
            w.drawBox(10, toolTop(8 + i), 40, 30);
            w.setFg(0xFF000000);
            w.fillBox(30 - (1 + i * 2), toolTop(8 + i) + 15 - (1 + i * 2), 2 + i * 4, 2 + i * 4);
            i = i + 1;
        }
        w.setFg(0xFFFFFFFF);
        w.fillBox(10, toolTop(11), 40, 30);
        w.setFg(0xFF606060);
        w.drawBox(10, toolTop(11), 40, 30);
        w.setFg(0xFF000000);
        w.drawString(18, toolTop(11) + 7, "Clr");
        w.update();
    }

    // Which tool (0..11) is at (x, y), or -1.
    int toolAt(var x : int, var y : int)
    {
        var i : int;
        if (x < 10) return -1;
        if (x >= 50) return -1;
        i = 0;
        while (i < 12)
        {
            if (y >= toolTop(i)) { if (y < toolTop(i) + 30) return i; }
            i = i + 1;
        }
        return -1;
    }

    void mouse(var e : int[], var boot : .internal.bootstrap)
    {
        var x : int;
        var y : int;
        var t : int;
        x = e[1];
        y = e[2];
        if ((e[4] & 1) != 0)
        {
            if (x < 61)
            {
                t = toolAt(x, y);
                if (t >= 0) pick(t);
                return;
            }
            down = 1;
            lastX = x;
            lastY = y;
            dab(x, y);
            w.update();
            return;
        }
        if ((e[5] & 1) != 0)
        {
            if (down) { strokes = strokes + 1; boot.consolePrint("paint: stroke " + strokes + "\n"); }
            down = 0;
            return;
        }
        if (down == 0) return;
        if ((e[3] & 1) == 0) { down = 0; return; }
        if (x < 61 + brush) x = 61 + brush;
        stroke(lastX, lastY, x, y);
        lastX = x;
        lastY = y;
        w.update();
    }

    void pick(var t : int)
    {
        if (t < 8) colour = palette[t];
        else if (t < 11) brush = 2 + (t - 8) * 4;
        else
        {
            w.setFg(0xFFFFFFFF);
            w.fillBox(61, 0, 579, 420);
        }
        drawTools();
    }

    void dab(var x : int, var y : int)
    {
        w.setFg(colour);
        w.fillBox(x - brush / 2, y - brush / 2, brush, brush);
    }

    // Dabs along the segment, one brush width apart at most, so that a fast stroke stays unbroken.
    void stroke(var x0 : int, var y0 : int, var x1 : int, var y1 : int)
    {
        var dx : int;
        var dy : int;
        var n : int;
        var i : int;
        dx = x1 - x0;
        dy = y1 - y0;
        n = dx;
        if (n < 0) n = 0 - n;
        if (dy > n) n = dy;
        if (0 - dy > n) n = 0 - dy;
        n = n / 2 + 1;
        i = 1;
        while (i <= n)
        {
            dab(x0 + dx * i / n, y0 + dy * i / n);
            i = i + 1;
        }
    }
};
