// Notes: a small interactive program run from the shell (`run demo.notes`). It keeps a list of notes;
// the shell keeps the program object, so the notes are still there the next time, and after any restart.
package .demo;

import .phantom.util.arraylist;

class notes
{
    var items : .phantom.util.arraylist;
    var tty : .internal.io.tty;

    void run(var boot) [8]
    {
        var line : string;
        if (items :== null) items = new .phantom.util.arraylist();
        tty = new .internal.io.tty();
        say("notes: add TEXT, list, del N, quit (" + items.size() + " notes)\n");
        while (1)
        {
            say("notes> ");
            line = readline();
            if (line :== null || line == "quit") return;
            try { command(line); }
            catch (string e) { say("error: " + e + "\n"); }
        }
    }

    // One line from the terminal without its end; null at the end of input.
    string readline()
    {
        var c : string;
        var line : string;
        line = "";
        c = tty.getwc();
        while (c.length() > 0 && !(c == "\n"))
        {
            if (!(c == "\r")) line = line + c;
            c = tty.getwc();
        }
        if (c.length() == 0 && line.length() == 0) return null;
        return line;
    }

    void command(var line : string)
    {
        var i : int;
        if (line.strstr("add ") == 0) { items.add(line.substring(4, line.length())); say("noted\n"); return; }
        if (line == "list")
        {
            i = 0;
            while (i < items.size()) { say("  " + (i + 1) + ". " + items.get(i) + "\n"); i = i + 1; }
            if (items.size() == 0) say("  (no notes)\n");
            return;
        }
        if (line.strstr("del ") == 0)
        {
            i = line.substring(4, line.length()).toInt();
            items.removeAt(i - 1);
            say("deleted\n");
            return;
        }
        say("unknown: " + line + "\n");
    }

    void say(var s : string) { tty.putws(s); }
};
