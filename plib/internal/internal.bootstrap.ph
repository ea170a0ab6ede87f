// .internal.bootstrap: the boot object handed to the boot class's startup [8] (pvm.md §4.3.5);
// the VM calls its class .internal.boot.
package .internal;

class bootstrap
{
    string toString() [5] {}
    .internal."class" loadClass(var name : string) [8] {}
    void consolePrint(var o : .internal.object) [16] {}
    void setClassLoader(var loader : .internal.object) [17] {}
    void startThread(var runnable : .internal.object) [18] {}
    .internal.binary createBinary(var size : int) [19] {}
    void setScreenBackground(var bitmap : .internal.object) [20] {}
    void sleep(var msec : int) [21] {}
    void setOsInterface(var o : .internal.object) [22] {}
    string[] getKernelEnvironment() [23] {}
    void reboot() [24] {}
};
