// err_attribute_without_package: expected to fail
attribute const * ->!;
