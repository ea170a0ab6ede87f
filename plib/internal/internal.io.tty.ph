// .internal.io.tty: a text window whose output is mirrored to stdout; it reads keys typed into it, or stdin
// (pvm.md §4.3.8, docs/graphics.md).
package .internal.io;

class tty
{
    string getwc() [16] {}
    void putws(var s : string) [17] {}
    void debug(var o : .internal.object) [18] {}
    void gotoxy(var col : int, var row : int) [19] {}
    void clear() [20] {}
    void setcolor(var color : int) [21] {}
    void moveWindow(var x : int, var y : int) [24] {}
    void setTitle(var title : string) [25] {}
    void setbgcolor(var color : int) [26] {}
};
