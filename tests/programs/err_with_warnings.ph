// err_with_warnings: warnings are reported beside errors
package .test;

class program
{
    var x : int;

    void f(var x : int)
    {
        var s : string;
        s = 5000000000;
        y = 1;
        return 1;
    }
};
