// err_bitnot_double: expected to fail
package .test;

class program {
void f() {
var d : .internal.double;
d = 1.5 ~;
} };
