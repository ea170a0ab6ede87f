// .phantom.ui.event_pump: the VM thread that window.setEventHandler starts. It takes the window's events
// one at a time and gives each to the handler's method 8. Because it is a thread of the world, a handler
// interrupted by a crash continues after the restore, and no event is handled twice or lost.
package .phantom.ui;

class event_pump
{
    void run(var w : .internal.window)
    {
        var e : int[];
        var h : .internal.object;
        while (1)
        {
            e = w.nextEvent();
            h = w.eventHandler();
            if (h :!= null) h.8(e);
        }
    }
};
