// err_relative_interface_no_package: expected to fail
class .test.program implements sized { };
