// err_unknown_type_star: expected to fail
package .test;

class program {
var x : *(1);
};
