// err_relative_parent_no_package: expected to fail
class .x.program extends base { };
