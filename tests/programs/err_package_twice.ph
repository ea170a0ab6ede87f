// err_package_twice: expected to fail
package .test;

package .a;
package .b;
