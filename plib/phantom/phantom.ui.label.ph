// .phantom.ui.label: one line of text.
package .phantom.ui;

class label extends widget
{
    var text : string;
    var colour : int;
    var background : int;

    void label(var t : string) { text = t; colour = 0xFF000000; background = 0; }

    void setText(var t : string) { text = t; }

    string getText() { return text; }

    void setColours(var fg : int, var bg : int) { colour = fg; background = bg; }

    void paint(var win : .internal.window)
    {
        if (background != 0) { win.setFg(background); win.fillBox(x, y, w, h); }
        win.setFg(colour);
        win.drawText(x + 2, baseline(), text, 14);
    }
};
