// err_bad_octal: expected to fail
package .test;

class program
{
    void startup(var boot) [8]
    {
        var i : int;
        i = 08;
    }
};
