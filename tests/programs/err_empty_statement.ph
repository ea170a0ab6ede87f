// err_empty_statement: expected to fail
package .test;

class program
{
    void startup(var boot) [8]
    {
        ;
    }
};
