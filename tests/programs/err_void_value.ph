// err_void_value: expected to fail
package .test;

class program
{
    void nothing() {}
    void startup(var boot) [8]
    {
        var i : int;
        i = nothing() + 1;
    }
};
