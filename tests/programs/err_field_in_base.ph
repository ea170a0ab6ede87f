// err_field_in_base: expected to fail
package .test;

class program
{
    void startup(var boot) [8]
    {
    }
};

class base
{
    var x : int;
};

class derived extends base
{
    var x : int;
};
