// err_no_constructor: expected to fail
package .test;

class program
{
    void startup(var boot) [8]
    {
        var t : thing;
        t = new thing(5);
    }
};

class thing
{
    void thing() {}
};
