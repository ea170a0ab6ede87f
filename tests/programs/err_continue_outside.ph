// err_continue_outside: expected to fail
package .test;

class program
{
    void startup(var boot) [8]
    {
        switch (1) { case 1: continue; }
    }
};
