// err_break_outside: expected to fail
package .test;

class program
{
    void startup(var boot) [8]
    {
        break;
    }
};
