// err_local_without_type: expected to fail
package .test;

class program
{
    void startup(var boot) [8]
    {
        var x;
    }
};
