// err_new_void: expected to fail
package .test;

class program {
void f() {
new void();
} };
