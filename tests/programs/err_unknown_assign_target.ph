// err_unknown_assign_target: expected to fail
package .test;

class program {
void f() {
zz = 5;
} };
