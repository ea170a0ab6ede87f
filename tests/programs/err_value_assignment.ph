// err_value_assignment: expected to fail
package .test;

class program {
void f() {
var s : string;
s .= "x";
} };
