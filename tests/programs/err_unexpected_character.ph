// err_unexpected_character: expected to fail
package .test;

class program {
void f() {
var i : int;
i = 1 # 2;
} };
