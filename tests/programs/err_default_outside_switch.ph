// err_default_outside_switch: expected to fail
package .test;

class program {
void f() {
default: } };
