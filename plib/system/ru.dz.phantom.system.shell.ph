// .ru.dz.phantom.system.shell: the console shell, a VM thread reading commands from the terminal
// (stdin) and answering on stdout. Its state (history, started programs) is part of the world, so it
// survives restarts like everything else.
package .ru.dz.phantom.system;

import .phantom.util.arraylist;
import .phantom.util.hashmap;
import .phantom.os;

class shell extends runnable
{
    var tty : .internal.io.tty;
    var boot_object : .internal.bootstrap;
    var history : .phantom.util.arraylist;
    var started : .phantom.util.arraylist;
    var programs : .phantom.util.hashmap;   // class name -> the object `run` used, kept for next time
    var line : string;
    var os : .phantom.os;

    void run(var _boot_object) [8]
    {
        boot_object = _boot_object;
        tty = new .internal.io.tty();
        history = new .phantom.util.arraylist();
        started = new .phantom.util.arraylist();
        programs = new .phantom.util.hashmap();
        os = new .phantom.os();
        say("Phantom shell. Type 'help' for the commands.\n");
        while (1)
        {
            say("phantom> ");
            line = readline();
            if (line.length() > 0)
            {
                history.add(line);
                try { execute(line); }
                catch (string e) { say("error: " + e + "\n"); }
            }
        }
    }

    void say(var s : string) { tty.putws(s); }

    // One line from the terminal. At the end of input the shell does not end: it is part of a world
    // that lives on. It waits, looking again every half second, and goes on when the world runs with a
    // terminal again.
    string readline()
    {
        var c : string;
        var text : string;
        var told : int;
        text = "";
        while (1)
        {
            c = tty.getwc();
            if (c.length() == 0)
            {
                if (!told) say("\n(end of input: the shell waits for the next run; Ctrl-C stops Phantom)\n");
                told = 1;
                boot_object.sleep(500);
                continue;
            }
            if (c == "\n") return text;
            if (c == (8).toByteString())
            {
                // BackSpace typed into the shell's window (a terminal handles it before we see it).
                if (text.length() > 0) { text = text.substring(0, text.length() - 1); say((8).toByteString() + " " + (8).toByteString()); }
                continue;
            }
            if (!(c == "\r")) text = text + c;
        }
    }

    // Splits "verb rest" at the first blank.
    void execute(var command : string)
    {
        var blank : int;
        var verb : string;
        var rest : string;
        blank = command.strstr(" ");
        if (blank < 0) { verb = command; rest = ""; }
        else
        {
            verb = command.substring(0, blank);
            rest = command.substring(blank + 1, command.length());
        }
        if (verb == "help") { help(); return; }
        if (verb == "echo") { say(rest + "\n"); return; }
        if (verb == "ls") { list(os.classes(), "loaded classes"); return; }
        if (verb == "threads") { list(os.threads(), "threads"); return; }
        if (verb == "stats") { stats(); return; }
        if (verb == "uptime") { uptime(); return; }
        if (verb == "snapshot")
        {
            if (os.snapshot()) say("snapshot requested\n");
            else say("no snapshot policy is listening\n");
            return;
        }
        if (verb == "start") { start(rest); return; }
        if (verb == "kill") { kill(rest); return; }
        if (verb == "resume") { resume(rest); return; }
        if (verb == "run") { run_here(rest); return; }
        if (verb == "history") { show_history(); return; }
        say("unknown command '" + verb + "'; type 'help'\n");
    }

    void help()
    {
        say("commands:\n");
        say("  help            this list\n");
        say("  ls              loaded classes\n");
        say("  start CLASS     load CLASS and run its method 8 in a new thread\n");
        say("  run CLASS       run CLASS's method 8 here, with the terminal, until it returns;\n");
        say("                  the object is kept, so the program finds its state again next time\n");
        say("  threads         VM threads, their state and where they are\n");
        say("  kill N          end VM thread N (its number in 'threads')\n");
        say("  resume N        let thread N run again after crash-loop recovery quarantined it\n");
        say("  snapshot        take a snapshot now\n");
        say("  stats           heap and world counters\n");
        say("  uptime          time since the host started\n");
        say("  echo TEXT       print TEXT\n");
        say("  history         the commands typed so far (kept across restarts)\n");
    }

    void kill(var number : string)
    {
        var id : int;
        if (number.length() == 0) { say("usage: kill N, where N is a thread number from 'threads'\n"); return; }
        id = number.toInt();
        if (!((id + "") == number)) { say("kill: '" + number + "' is not a thread number\n"); return; }
        try
        {
            say("killed " + os.kill(id) + "\n");
        }
        catch (string e)
        {
            say("kill: " + e + "\n");
        }
    }

    void resume(var number : string)
    {
        var id : int;
        if (number.length() == 0) { say("usage: resume N, where N is a quarantined thread's number from 'threads'\n"); return; }
        id = number.toInt();
        if (!((id + "") == number)) { say("resume: '" + number + "' is not a thread number\n"); return; }
        try
        {
            say("resumed " + os.resume(id) + "\n");
        }
        catch (string e)
        {
            say("resume: " + e + "\n");
        }
    }

    void list(var items : string[], var what : string)
    {
        var i : int;
        i = 0;
        while (i < items.size()) { say("  " + items[i] + "\n"); i = i + 1; }
        say(items.size() + " " + what + "\n");
    }

    void stats()
    {
        var d : .internal.directory;
        d = os.stats();
        say("boots " + d.get("boots") + ", gc runs " + d.get("gc_runs") + ", threads " + d.get("threads") + "\n");
        say("heap used " + d.get("heap_used") + " bytes of " + d.get("heap_capacity") + ", live after last gc " + d.get("live_bytes") + "\n");
        say("started from this shell: " + started.size() + ", commands typed: " + history.size() + "\n");
    }

    void uptime()
    {
        var us : .internal.long;
        us = os.uptime();
        say("host up " + (us / 1000000L) + " s (" + us + " us)\n");
    }

    void start(var name : string)
    {
        var o : .internal.object;
        if (name.length() == 0) { say("start: which class?\n"); return; }
        name = absolute(name);
        o = create(name);
        boot_object.startThread(o);
        started.add(name);
        say("started " + name + "\n");
    }

    // Runs a program in the foreground: its method 8 is called on this thread, so it has the terminal
    // until it returns.
    void run_here(var name : string)
    {
        var o : .internal.object;
        if (name.length() == 0) { say("run: which class?\n"); return; }
        name = absolute(name);
        o = programs.get(name);
        if (o :== null) { o = create(name); programs.put(name, o); }
        o.8(boot_object);
    }

    string absolute(var name : string)
    {
        if (name.charAt(0) == 46) return name;
        return "." + name;
    }

    .internal.object create(var name : string)
    {
        var cls : .internal."class";
        cls = boot_object.loadClass(name);
        return new *(cls)();
    }

    void show_history()
    {
        var i : int;
        i = 0;
        while (i < history.size()) { say("  " + (i + 1) + "  " + history.get(i) + "\n"); i = i + 1; }
    }
};
