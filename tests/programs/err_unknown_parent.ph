// err_unknown_parent: expected to fail
package .test;

class program extends nothing {
};
