// err_bitop_on_double: expected to fail
package .test;

class program
{
    void startup(var boot) [8]
    {
        var d : .internal.double;
        d = 1.5 | 2.0;
    }
};
