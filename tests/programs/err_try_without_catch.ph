// err_try_without_catch: expected to fail
package .test;

class program {
void f() {
try {
} } };
