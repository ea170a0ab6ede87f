// err_import_star: expected to fail
package .test;

import .internal.*;
