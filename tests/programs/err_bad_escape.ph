// err_bad_escape: expected to fail
package .test;

class program
{
    void startup(var boot) [8]
    {
        var s : string;
        s = "a\qb";
    }
};
