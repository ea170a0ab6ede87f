// err_top_level_junk: expected to fail
package .test;

int x;
