// .phantom.ui.form: a window with widgets. It paints them, and as the window's event handler (method 8)
// it gives mouse events to the widget under the pointer (the one pressed keeps them until the release)
// and keys to the widget with the keyboard focus; Tab moves the focus.
//
//   f = new .phantom.ui.form("Greeting", 300, 120);
//   name = new .phantom.ui.text_field(); f.add(name, 10, 70, 200, 26);
//   ok = new .phantom.ui.button("OK"); f.add(ok, 220, 70, 70, 26);
//   ok.setAction(new greet(name));   // a class that extends .phantom.ui.action
//   f.show();                         // events now arrive; show returns at once
package .phantom.ui;

class form extends .internal.object
{
    var win : .internal.window;
    var widgets : widget[];
    var n : int;
    var focus : int;
    var grab : int;
    var background : int;

    void form(var title : string, var width : int, var height : int)
    {
        win = new .internal.window();
        win.setWinSize(width, height);
        win.setTitle(title);
        win.setAutoUpdate(0);
        widgets = new widget[]();
        n = 0;
        focus = -1;
        grab = -1;
        background = 0xFFF2F0EB;
    }

    .internal.window window() { return win; }

    widget add(var wd : widget, var x : int, var y : int, var w : int, var h : int)
    {
        wd.place(x, y, w, h);
        widgets[n] = wd;
        n = n + 1;
        return wd;
    }

    void paint()
    {
        var i : int;
        win.setFg(background);
        win.fillBox(0, 0, win.getXSize(), win.getYSize());
        i = 0;
        while (i < n) { widgets[i].paint(win); i = i + 1; }
        win.update();
    }

    void repaint(var i : int) { widgets[i].paint(win); win.update(); }

    void show() { paint(); win.setEventHandler(this); }

    void setFocus(var i : int)
    {
        var old : int;
        if (i == focus) return;
        old = focus;
        focus = i;
        if (old >= 0) { widgets[old].setFocused(0); widgets[old].paint(win); }
        if (i >= 0) { widgets[i].setFocused(1); widgets[i].paint(win); }
        win.update();
    }

    int widgetAt(var x : int, var y : int)
    {
        var i : int;
        i = n - 1;
        while (i >= 0) { if (widgets[i].contains(x, y)) return i; i = i - 1; }
        return -1;
    }

    // The first widget from `i` on that takes the focus, or n.
    int nextFocusable(var i : int)
    {
        while (i < n) { if (widgets[i].wantsFocus()) return i; i = i + 1; }
        return n;
    }

    // Note: && and || evaluate both sides in Phantom (language.md), so indexes are checked in nested ifs.
    void event(var e : int[]) [8]
    {
        var i : int;
        if (e[0] == 1)
        {
            i = grab;
            if (i < 0) i = widgetAt(e[1], e[2]);
            if ((e[4] & 1) != 0)
            {
                grab = i;
                if (i >= 0) { if (widgets[i].wantsFocus()) setFocus(i); }
            }
            if ((e[5] & 1) != 0) grab = -1;
            if (i >= 0) { if (widgets[i].handle(win, e)) repaint(i); }
            return;
        }
        if (e[0] != 2) return;  // window events: nothing to do (&& evaluates both sides, so test the kind first)
        if (e[3] == 1 && e[1] == 0xff09 && n > 0)
        {
            i = focus + 1;
            i = nextFocusable(i);
            if (i >= n) i = nextFocusable(0);
            if (i < n) setFocus(i);
            return;
        }
        if (focus >= 0) { if (widgets[focus].handle(win, e)) repaint(focus); }
    }
};
