// err_method_chosen_at_run_time: expected to fail
package .test;

class program {
void f(var o) {
o.("x")();
} };
