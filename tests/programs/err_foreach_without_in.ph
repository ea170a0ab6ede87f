// err_foreach_without_in: expected to fail
package .test;

class program {
void f() {
var x : int;
foreach (x of y) {} } };
