// err_missing_semicolon: expected to fail
package .test;

class program
{
    void startup(var boot) [8]
    {
        var i : int;
        i = 1
        i = 2;
    }
};
