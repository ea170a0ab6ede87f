// err_minus_on_string: expected to fail
package .test;

class program {
void f() {
var s : string;
s = -"x";
} };
