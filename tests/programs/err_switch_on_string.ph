// err_switch_on_string: expected to fail
package .test;

class program
{
    void startup(var boot) [8]
    {
        switch ("a") { default: }
    }
};
