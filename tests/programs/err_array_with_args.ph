// err_array_with_args: expected to fail
package .test;

class program {
void f() {
var a : int[];
a = new int[](5);
} };
