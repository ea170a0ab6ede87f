// .ru.dz.phantom.system.runnable: what a thread runs; startThread calls run [8] with the boot object.
package .ru.dz.phantom.system;

class runnable
{
    void run(var boot_object) [8] { throw "runnable.run: a subclass must define run"; }
};
