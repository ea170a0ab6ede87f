// err_second_extends: expected to fail
package .test;

class a {
};
class b {
};
class program extends a extends b {
};
