// err_nonvoid_constructor: expected to fail
package .test;

class program
{
    int program() { return 1; }
    void startup(var boot) [8]
    {
    }
};
