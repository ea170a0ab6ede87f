// err_import_without_file: expected to fail
package .test;

class program {
void f() {
var s : string;
s = import 5;
} };
