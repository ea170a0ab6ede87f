// err_do_without_while: expected to fail
package .test;

class program {
void f() {
do {
} } };
