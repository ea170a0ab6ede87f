// err_relative_no_package: expected to fail
class program
{
    void startup(var boot) [8]
    {
    }
};
