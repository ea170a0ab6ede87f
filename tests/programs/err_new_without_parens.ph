// err_new_without_parens: expected to fail
package .test;

class program {
void f() {
var s : string;
s = new string;
} };
