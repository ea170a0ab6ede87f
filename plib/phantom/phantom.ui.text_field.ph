// .phantom.ui.text_field: a line of text to type into. It takes printable characters and BackSpace;
// Return runs its action.
package .phantom.ui;

class text_field extends widget
{
    var text : string;
    var onEnter : action;

    void text_field() { text = ""; onEnter = null; }

    void setAction(var a : action) { onEnter = a; }

    string getText() { return text; }

    void setText(var t : string) { text = t; }

    int wantsFocus() { return 1; }

    void paint(var win : .internal.window)
    {
        var tw : int;
        win.setFg(0xFFFFFFFF);
        win.fillBox(x, y, w, h);
        if (focused) win.setFg(0xFF2A5DB0); else win.setFg(0xFF7D8590);
        win.drawBox(x, y, w, h);
        win.setFg(0xFF000000);
        win.drawText(x + 4, baseline(), text, 14);
        if (focused)
        {
            tw = win.textWidth(text, 14);
            win.fillBox(x + 5 + tw, y + 4, 1, h - 8);
        }
    }

    int handle(var win : .internal.window, var e : int[])
    {
        var c : int;
        if (e[0] != 2) return 0;
        if (e[3] != 1) return 0;
        c = e[2];
        if (e[1] == 0xff0d || c == 10 || c == 13)
        {
            if (onEnter :!= null) onEnter.run(this);
            return 0;
        }
        if (e[1] == 0xff08 || c == 8)
        {
            if (text.length() > 0) text = text.substring(0, text.length() - 1);
            return 1;
        }
        if (c >= 32 && c < 127) { text = text + c.toByteString(); return 1; }
        return 0;
    }
};
