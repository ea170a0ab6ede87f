// err_not_numeric: expected to fail
package .test;

class program
{
    void startup(var boot) [8]
    {
        var i : int;
        i = 3 * "x";
    }
};
