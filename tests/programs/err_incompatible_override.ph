// err_incompatible_override: expected to fail
package .test;

class program
{
    void startup(var boot) [8]
    {
    }
};

class a1
{
    void f(var x : int) {}
};

class a2 extends a1
{
    void f(var x : .internal.long) {}
};
