// err_field_named_like_method: expected to fail
package .test;

class program {
var f : int;
void f() {
} };
