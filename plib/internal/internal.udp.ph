// .internal.udp (pvm.md §4.3.10).
package .internal;

class udp
{
    .internal.object recvFrom(var addr : .internal.object) [23] {}
    int sendTo(var addr : .internal.object, var data : .internal.object) [25] {}
};
