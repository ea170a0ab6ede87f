// err_case_outside_switch: expected to fail
package .test;

class program
{
    void startup(var boot) [8]
    {
        case 1: ;
    }
};
