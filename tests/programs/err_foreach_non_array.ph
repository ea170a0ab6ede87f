// err_foreach_non_array: expected to fail
package .test;

class program {
void f() {
var x : int;
foreach (x in 5) {
} } };
