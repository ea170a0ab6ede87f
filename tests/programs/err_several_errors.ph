// err_several_errors: expected to fail
package .test;

class program
{
    void startup(var boot) [8]
    {
        var i : int;
        i = ;
        j = 2;
        i.nothing();
    }
};
