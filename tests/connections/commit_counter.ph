// The output-commit kill test's program (output_commit_kill_test.cc): a counter n kept in the world,
// and after each increment the line "n" appended to the file counter.txt (committed mode, the default
// for files) and, with --console-commit, printed. However often the world is killed, the file and the
// console must hold exactly 1, 2, ..., k.
package .test;

class commit_counter
{
    var n : int;
    var f : .internal.connection;
    var b : .internal.bootstrap;

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        f = new .internal.connection();
        if (f.connect("fio:counter.txt") != 0) { b.consolePrint("connect failed: " + f.lastError() + "\n"); return; }
        n = 0;
        while (1)
        {
            n = n + 1;
            f.block(f.block(null, 3), 2);   // seek to the end, as a logger appends
            f.block("" + n + "\n", 1);
            b.consolePrint("" + n + "\n");
        }
    }
};

// The same with the file in immediate mode: written at once, so a restart repeats what the lost
// state had written (the test expects duplicates: it proves that the check can fail).
class commit_counter_immediate
{
    var n : int;
    var f : .internal.connection;
    var b : .internal.bootstrap;

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        f = new .internal.connection();
        if (f.connect("fio:counter.txt") != 0) { b.consolePrint("connect failed: " + f.lastError() + "\n"); return; }
        f.block(1, 8);
        n = 0;
        while (1)
        {
            n = n + 1;
            f.block(f.block(null, 3), 2);
            f.block("" + n + "\n", 1);
            b.consolePrint("" + n + "\n");
        }
    }
};

// The commit-delay test's program: one line "1" to the file once.txt (committed), then "written" on
// the console (immediate), then sleep forever. With --commit-delay D the line reaches the file no
// sooner than D after it was written, and the world is idle meanwhile.
class commit_once
{
    var f : .internal.connection;
    var s : .internal.connection;

    void startup(var boot : .internal.bootstrap) [8]
    {
        f = new .internal.connection();
        s = new .internal.connection();
        if (f.connect("fio:once.txt") != 0) { boot.consolePrint("connect failed: " + f.lastError() + "\n"); return; }
        if (s.connect("tmr:") != 0) { boot.consolePrint("connect failed: " + s.lastError() + "\n"); return; }
        f.block("1\n", 1);
        boot.consolePrint("written\n");
        while (1) s.block(null, 1000);
    }
};
