// err_no_parent_default_ctor: expected to fail
package .test;

class a {
void a(var x : int) {
} };
class program extends a {
};
