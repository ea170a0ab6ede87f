// .internal.ui.font: a TrueType typeface and size for text in windows (docs/graphics.md). The original's
// class was a placeholder; every method here is ours. A new font is "sans" at 14 pixels.
package .internal.ui;

class font
{
    // "sans", "sans-bold", "mono", "mono-bold", "serif" or "serif-bold" (DejaVu); 4..256 pixels.
    void setFont(var name : string, var size : int) [16] {}
    string getName() [17] {}
    int getSize() [18] {}
    // The advance of `s` in pixels, and the distance from one baseline to the next.
    int width(var s : string) [19] {}
    int lineHeight() [20] {}
    // Draws `s` into `win` with its baseline at y, in the window's foreground colour.
    void drawString(var win : .internal.window, var x : int, var y : int, var s : string) [21] {}
};
