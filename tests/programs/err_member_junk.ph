// err_member_junk: expected to fail
package .test;

class program {
5;
};
