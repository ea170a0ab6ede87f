// err_own_ancestor: expected to fail
package .test;

class program extends other {
};
class other extends program {
};
