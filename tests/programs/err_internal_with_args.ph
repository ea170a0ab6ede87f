// err_internal_with_args: expected to fail
package .test;

class program {
void f() {
var m : .internal.mutex;
m = new .internal.mutex(1);
} };
