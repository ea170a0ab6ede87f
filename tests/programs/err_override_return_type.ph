// err_override_return_type: expected to fail
package .test;

class a {
int f() {
return 1;
} };
class program extends a {
string f() {
return "x";
} };
