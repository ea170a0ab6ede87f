// err_two_defaults: expected to fail
package .test;

class program
{
    void startup(var boot) [8]
    {
        switch (1) { default: default: }
    }
};
