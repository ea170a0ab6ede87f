// err_interface_field: expected to fail
package .test;

interface program {
var x : int;
};
