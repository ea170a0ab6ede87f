// err_import_missing_file: expected to fail
package .test;

class program
{
    void startup(var boot) [8]
    {
        var s : string;
        s = import "no_such_file.bin";
    }
};
