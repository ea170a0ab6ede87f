// Scheduler: three jobs on their own VM threads, each sleeping its own period between runs, and a
// reporter that prints a summary every 2 seconds. Sleeps use wall-clock wake-up times, so a job that
// was asleep when the process died wakes when it was due.
package .demo;

class job
{
    var name : string;
    var period : int;
    var runs : int;
    var boot : .internal.bootstrap;

    void setup(var b : .internal.bootstrap, var n : string, var ms : int) { boot = b; name = n; period = ms; }

    void run(var b) [8]
    {
        while (1)
        {
            boot.sleep(period);
            runs = runs + 1;
            boot.consolePrint("job " + name + " run " + runs + "\n");
        }
    }

    int count() { return runs; }
    string title() { return name; }
};

class scheduler
{
    var boot : .internal.bootstrap;
    var jobs : job[];
    var reports : int;

    void startup(var b : .internal.bootstrap) [8]
    {
        boot = b;
        jobs = new job[]();
        jobs[0] = add("fast", 250);
        jobs[1] = add("medium", 400);
        jobs[2] = add("slow", 700);
        boot.startThread(new reporter(this));
        boot.consolePrint("scheduler: 3 jobs started\n");
    }

    job add(var n : string, var ms : int)
    {
        var j : job;
        j = new job();
        j.setup(boot, n, ms);
        boot.startThread(j);
        return j;
    }

    string summary()
    {
        var s : string;
        var j : job;
        reports = reports + 1;
        s = "report " + reports + ":";
        foreach (j in jobs) s = s + " " + j.title() + "=" + j.count();
        return s;
    }

    void pause(var ms : int) { boot.sleep(ms); }
    void say(var s : string) { boot.consolePrint(s + "\n"); }
};

class reporter
{
    var owner : scheduler;

    void reporter() {}
    void reporter(var s : scheduler) { owner = s; }

    void run(var b) [8]
    {
        while (1) { owner.pause(2000); owner.say(owner.summary()); }
    }
};
