// err_relative_type_no_package: expected to fail
class .test.program { var x : thing; };
