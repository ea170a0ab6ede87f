// err_interface_extends: expected to fail
package .test;

class base { };
interface program extends base { };
