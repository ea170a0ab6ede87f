// err_extends_interface: expected to fail
package .test;

class program
{
    void startup(var boot) [8]
    {
    }
};

interface i1
{
};

class c1 extends i1
{
};
