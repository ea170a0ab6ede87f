// err_unclosed_block: expected to fail
package .test;

class program {
void f() {
if (1) {

