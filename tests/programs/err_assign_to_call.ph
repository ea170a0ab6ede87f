// err_assign_to_call: expected to fail
package .test;

class program {
int g() {
return 1;
} void f() {
g() = 5;
} };
