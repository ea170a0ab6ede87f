// .phantom.ui.list_box: a list of lines, the first at the top; a click selects one, Up and Down move
// the selection while it has the keyboard focus.
package .phantom.ui;

class list_box extends widget
{
    var items : string[];
    var n : int;
    var selected : int;
    var onSelect : action;

    void list_box() { items = new string[](); n = 0; selected = -1; onSelect = null; }

    void add(var s : string) { items[n] = s; n = n + 1; }

    int size() { return n; }

    string item(var i : int) { return items[i]; }

    int getSelected() { return selected; }

    void setAction(var a : action) { onSelect = a; }

    int wantsFocus() { return 1; }

    void select(var i : int)
    {
        if (i < 0 || i >= n || i == selected) return;
        selected = i;
        if (onSelect :!= null) onSelect.run(this);
    }

    void paint(var win : .internal.window)
    {
        var i : int;
        var top : int;
        win.setFg(0xFFFFFFFF);
        win.fillBox(x, y, w, h);
        i = 0;
        while (i < n)
        {
            if ((i + 1) * 20 > h) { paintBorder(win); return; }
            top = y + h - (i + 1) * 20;
            if (i == selected) { win.setFg(0xFF2A5DB0); win.fillBox(x + 1, top, w - 2, 20); win.setFg(0xFFFFFFFF); }
            else win.setFg(0xFF000000);
            win.drawText(x + 6, top + 6, items[i], 14);
            i = i + 1;
        }
        paintBorder(win);
    }

    void paintBorder(var win : .internal.window)
    {
        if (focused) win.setFg(0xFF2A5DB0); else win.setFg(0xFF7D8590);
        win.drawBox(x, y, w, h);
    }

    int handle(var win : .internal.window, var e : int[])
    {
        var before : int;
        before = selected;
        if (e[0] == 1) { if ((e[4] & 1) != 0) select((y + h - 1 - e[2]) / 20); }
        if (e[0] == 2)
        {
            if (e[3] == 1 && e[1] == 0xff54) select(selected + 1);
            if (e[3] == 1 && e[1] == 0xff52) select(selected - 1);
        }
        return before != selected;
    }
};
