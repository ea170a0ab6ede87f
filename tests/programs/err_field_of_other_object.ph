// err_field_of_other_object: expected to fail
package .test;

class program
{
    void startup(var boot) [8]
    {
        var o : program;
        o = this;
        o.b = 1;
    }
};
