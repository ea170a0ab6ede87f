// err_colon_equals: expected to fail
package .test;

class program
{
    void startup(var boot) [8]
    {
        var i : int;
        i := 1;
    }
};
