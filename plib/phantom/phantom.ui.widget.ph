// .phantom.ui.widget: the base of the widgets (docs/graphics.md "Widgets"). A widget is a rectangle of a
// window, in the window's coordinates (bottom-left origin). A .phantom.ui.form places widgets, paints
// them and gives them the window's events; a widget class overrides paint, and handle when it reacts.
package .phantom.ui;

class widget extends .internal.object
{
    var x : int;
    var y : int;
    var w : int;
    var h : int;
    var focused : int;

    void widget() { x = 0; y = 0; w = 0; h = 0; focused = 0; }

    void place(var px : int, var py : int, var pw : int, var ph : int) { x = px; y = py; w = pw; h = ph; }

    int contains(var px : int, var py : int) { return px >= x && px < x + w && py >= y && py < y + h; }

    // Whether clicking it moves the keyboard focus to it.
    int wantsFocus() { return 0; }

    void setFocused(var on : int) { focused = on; }

    // Draws the widget into `win`; the form calls update afterwards.
    void paint(var win : .internal.window) {}

    // An event of the window (.internal.window nextEvent: [1 mouse, x, y, held, pressed, released, wheel],
    // [2 key, keysym, char, down, modifiers]) that concerns this widget; returns 1 when it changed its looks.
    int handle(var win : .internal.window, var e : int[]) { return 0; }

    // The baseline that centres 14-pixel text vertically in the widget.
    int baseline() { return y + (h - 14) / 2 + 3; }
};
