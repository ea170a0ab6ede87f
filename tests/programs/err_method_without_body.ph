// err_method_without_body: expected to fail
package .test;

class program {
void f() };
