// err_duplicate_ordinal: expected to fail
package .test;

class program
{
    void a() [20] {}
    void b() [20] {}
    void startup(var boot) [8]
    {
    }
};
