// err_class_twice: expected to fail
package .test;

class program
{
    void startup(var boot) [8]
    {
    }
};

class twice
{
};

class twice
{
};
