// err_interface_method_missing: expected to fail
package .test;

class program
{
    void startup(var boot) [8]
    {
    }
};

interface sized
{
    int size();
};

class box implements sized
{
    void box() {}
};
