// err_unclosed_args: expected to fail
package .test;

class program {
void f() {
f(1, 2 ;
} };
