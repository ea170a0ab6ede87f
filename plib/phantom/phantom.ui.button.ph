// .phantom.ui.button: a push button. Pressing the left mouse button on it and releasing it there runs
// its action (and counts the click); Return runs it too while it has the keyboard focus.
package .phantom.ui;

class button extends widget
{
    var text : string;
    var pressed : int;
    var clicks : int;
    var onClick : action;

    void button(var t : string) { text = t; pressed = 0; clicks = 0; onClick = null; }

    void setAction(var a : action) { onClick = a; }

    int getClicks() { return clicks; }

    int wantsFocus() { return 1; }

    void paint(var win : .internal.window)
    {
        var tw : int;
        if (pressed) win.setFg(0xFFB8C4D6); else win.setFg(0xFFE4E8EE);
        win.fillBox(x, y, w, h);
        if (focused) win.setFg(0xFF2A5DB0); else win.setFg(0xFF7D8590);
        win.drawBox(x, y, w, h);
        win.setFg(0xFF000000);
        tw = win.textWidth(text, 14);
        win.drawText(x + (w - tw) / 2, baseline(), text, 14);
    }

    void click()
    {
        clicks = clicks + 1;
        if (onClick :!= null) onClick.run(this);
    }

    int handle(var win : .internal.window, var e : int[])
    {
        if (e[0] == 1)
        {
            if ((e[4] & 1) != 0) { pressed = 1; return 1; }
            if ((e[5] & 1) != 0 && pressed)
            {
                pressed = 0;
                if (contains(e[1], e[2])) click();
                return 1;
            }
            return 0;
        }
        if (e[0] == 2) { if (e[3] == 1 && e[1] == 0xff0d) { click(); return 1; } }
        return 0;
    }
};
