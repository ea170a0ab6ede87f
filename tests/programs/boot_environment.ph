// boot_environment
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        b = boot;
        var env : string[];
        env = b.getKernelEnvironment();
        p("environment is an array: " + (env.size() >= 0));
        p("thread environment user: " + ((.phantom.environment) (new .internal.world()).getMyThread().getEnvironment()).getUser().getName());
    }
};
