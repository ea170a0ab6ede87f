// err_index_non_array: expected to fail
package .test;

class program
{
    void startup(var boot) [8]
    {
        var s : string;
        s = "abc";
        s[0] = "x";
    }
};
