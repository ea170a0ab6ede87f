// .internal.stat: world statistics and the shell's view of the world; all of it is our addition:
// snapshot() a directory of counters, classes() and threads() one line each, requestSnapshot() asks the
// system for a snapshot now (1 if someone listens), killThread(id) ends another VM thread (it throws a
// string when there is no such thread) and returns what the thread was doing; resumeThread(id) lets a
// thread that crash-loop recovery quarantined run again (docs/faults.md).
package .internal;

class stat
{
    .internal.directory snapshot() [16] {}
    string[] classes() [17] {}
    string[] threads() [18] {}
    int requestSnapshot() [19] {}
    string killThread(var id : int) [20] {}
    string resumeThread(var id : int) [21] {}
};
