// err_import_relative: expected to fail
import internal.int;
