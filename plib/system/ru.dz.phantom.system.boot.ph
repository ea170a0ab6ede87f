// .ru.dz.phantom.system.boot: the system boot class. On the first boot of a world it registers the class
// loader, runs the library self-tests and starts the console shell as a thread; after that the world
// just resumes (the shell thread continues where it was).
package .ru.dz.phantom.system;

import .phantom.test.library_tests;

class boot
{
    var boot_object : .internal.bootstrap;
    var loader : class_loader;

    void startup(var _boot_object : .internal.bootstrap) [8]
    {
        var tests : .phantom.test.library_tests;
        var sh : shell;
        boot_object = _boot_object;
        loader = new class_loader();
        loader.init(boot_object);
        boot_object.setClassLoader(loader);

        tests = new .phantom.test.library_tests();
        try { tests.run_all(boot_object, 0); }
        catch (string e) { boot_object.consolePrint("library self-test FAILED: " + e + "\n"); }

        sh = new shell();
        boot_object.startThread(sh);
    }
};
