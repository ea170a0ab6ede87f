// err_unknown_method: expected to fail
package .test;

class program
{
    void startup(var boot) [8]
    {
        var s : string;
        s = "x";
        s.shout();
    }
};
