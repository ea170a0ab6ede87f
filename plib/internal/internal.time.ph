// .internal.time: clocks (pvm.md §4.3.10); now() is our addition (milliseconds since 1970).
package .internal;

class time
{
    .internal.long uptime() [9] {}
    .internal.long now() [16] {}
};
