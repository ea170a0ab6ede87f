// err_new_interface: expected to fail
package .test;

class program
{
    void startup(var boot) [8]
    {
        var x : iface;
        x = new iface();
    }
};

interface iface
{
    void m();
};
