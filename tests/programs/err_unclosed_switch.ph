// err_unclosed_switch: expected to fail
package .test;

class program {
void f() {
switch (1) {
case 1: 
