// .internal.connection: a connection to a service outside the world (pvm.md §4.3.10, docs/connections.md).
// connect("tmr:"), connect("stt:"), connect("fio:name"): 0 or an errno. lastError() and isConnected()
// are our additions: the reason for the last failure (it names a restart when the connection could
// not be re-made after one), and whether the connection is usable now.
package .internal;

class connection
{
    int connect(var name : string) [8] {}
    int disconnect() [9] {}
    int check(var op : int) [10] {}
    int invoke(var o : .internal.object, var op : int) [11] {}
    int setCallback(var o : .internal.object, var method : int) [12] {}
    .internal.object block(var o : .internal.object, var msec : int) [13] {}
    string lastError() [16] {}
    int isConnected() [17] {}
};
