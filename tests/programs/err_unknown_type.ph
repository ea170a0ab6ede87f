// err_unknown_type: expected to fail
package .test;

class program
{
    void startup(var boot) [8]
    {
        var x : nosuch;
    }
};
