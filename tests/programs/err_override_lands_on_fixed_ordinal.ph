// err_override_lands_on_fixed_ordinal: expected to fail
package .test;

class base
{
    void f() {}
};

class program extends base
{
    void g() [16] {}
    void f() {}
};
