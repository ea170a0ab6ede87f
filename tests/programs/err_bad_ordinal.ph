// err_bad_ordinal: expected to fail
package .test;

class program {
void f() [x] {
} };
