// .phantom.os: the operating system as a program sees it: clocks, statistics, the thread list.
package .phantom;

class os
{
    // Microseconds of the host's monotonic clock (since the host started).
    .internal.long uptime() { return (new .internal.time()).uptime(); }

    // Milliseconds since 1970 (wall clock).
    .internal.long now() { return (new .internal.time()).now(); }

    // A directory of counters: boots, gc_runs, heap_used, heap_capacity, live_bytes, threads, gc_cycles,
    // gc_steps and gc_step_max_us (the collector in this process), and under
    // `phantom run` uptime_ms (this run), last_snapshot, snapshots_this_run, last_pause_us.
    .internal.directory stats() { return (new .internal.stat()).snapshot(); }

    string[] threads() { return (new .internal.stat()).threads(); }

    string[] classes() { return (new .internal.stat()).classes(); }

    // Asks the system for a snapshot now; 1 if the request was taken.
    int snapshot() { return (new .internal.stat()).requestSnapshot(); }
    // Ends VM thread `id`; throws a string naming the problem when it cannot.
    string kill(var id : int) { return (new .internal.stat()).killThread(id); }
    // Lets a thread that crash-loop recovery quarantined run again where it was; throws a string when
    // there is no such thread or it is not quarantined.
    string resume(var id : int) { return (new .internal.stat()).resumeThread(id); }
};
