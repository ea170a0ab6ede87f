// err_paren_after_ordinal_call: expected to fail
package .test;

class program {
void f(var o) {
o.5;
} };
