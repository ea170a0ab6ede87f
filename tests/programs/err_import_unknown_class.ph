// err_import_unknown_class: expected to fail
package .test;

import .no.such.thing;
