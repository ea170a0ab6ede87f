// err_unknown_escape_zero: expected to fail
package .test;

class program {
void f() {
var s : string;
s = "\0";
} };
