// err_unclosed_class: expected to fail
package .test;

class program {
var x : int;

