// .internal.stat: world statistics and the shell's view of the world; all of it is our addition:
// snapshot() a directory of counters, classes() and threads() one line each, requestSnapshot() asks the
// system for a snapshot now (1 if someone listens).
package .internal;

class stat
{
    .internal.directory snapshot() [16] {}
    string[] classes() [17] {}
    string[] threads() [18] {}
    int requestSnapshot() [19] {}
};
