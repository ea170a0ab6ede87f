// err_unknown_name: expected to fail
package .test;

class program
{
    void startup(var boot) [8]
    {
        y = 3;
    }
};
