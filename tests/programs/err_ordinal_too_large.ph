// err_ordinal_too_large: expected to fail
package .test;

class program {
void f() [70000] {
} };
