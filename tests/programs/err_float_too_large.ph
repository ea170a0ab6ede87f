// err_float_too_large: expected to fail
package .test;

class program {
void f() {
var d : .internal.double;
d = 1e400;
} };
