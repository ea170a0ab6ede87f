// err_unknown_type_star: expected to fail
package .test;

class program
{
    var x : *(1);
    var y : int[*(2)];
    void f() { y = new int[*(2)](); }
};
