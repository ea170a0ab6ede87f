// err_call_on_unknown: expected to fail
package .test;

class program
{
    void startup(var boot) [8]
    {
        boot.consolePrint("x");
    }
};
