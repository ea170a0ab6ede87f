// err_param_without_var: expected to fail
package .test;

class program {
void f(x : int) {
} };
