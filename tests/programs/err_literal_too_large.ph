// err_literal_too_large: expected to fail
package .test;

class program
{
    void startup(var boot) [8]
    {
        var l : .internal.long;
        l = 99999999999999999999L;
    }
};
