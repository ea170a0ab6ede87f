// .internal.window: a window on the desktop (pvm.md §4.3.8, docs/graphics.md). Bottom-left origin; colours 0xAARRGGBB.
// Ordinals 16-37 are the original's; 38 and up are ours.
package .internal;

class window
{
    int getXSize() [16] {}
    int getYSize() [17] {}
    int getX() [18] {}
    int getY() [19] {}
    void clear() [20] {}
    void fill(var color : int) [21] {}
    void setFg(var color : int) [22] {}
    void setBg(var color : int) [23] {}
    void drawString(var x : int, var y : int, var s : string) [24] {}
    void drawImage(var x : int, var y : int, var bitmap : .internal.object) [25] {}
    void setWinSize(var xs : int, var ys : int) [26] {}
    void setWinPosition(var x : int, var y : int) [27] {}
    void drawLine(var x : int, var y : int, var dx : int, var dy : int) [28] {}
    void drawBox(var x : int, var y : int, var w : int, var h : int) [29] {}
    void fillBox(var x : int, var y : int, var w : int, var h : int) [30] {}
    void fillEllipse(var x : int, var y : int, var w : int, var h : int) [31] {}
    void setEventHandler(var handler : .internal.object) [32] {}
    void setTitle(var title : string) [33] {}
    void update() [34] {}
    int scrollHor(var x : int, var y : int, var w : int, var h : int, var steps : int) [35] {}
    void drawImagePart(var x : int, var y : int, var bitmap : .internal.object, var xs : int, var ys : int, var xsize : int, var ysize : int) [36] {}
    void setAutoUpdate(var on : int) [37] {}
    void close() [38] {}
    int[] nextEvent() [39] {}
    void drawText(var x : int, var y : int, var s : string, var size : int) [40] {}
    void setVisible(var on : int) [41] {}
    int textWidth(var s : string, var size : int) [42] {}
    .internal.object pollEvent() [43] {}
    .internal.object eventHandler() [44] {}
};
