// err_number_needed: expected to fail
package .test;

class program {
void f() {
var i : int;
var s : string;
s = "x";
i = s;
} };
