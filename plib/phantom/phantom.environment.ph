// .phantom.environment: per-thread environment (thread.getEnvironment() creates one lazily):
// the user, and named values a program may keep.
package .phantom;

import .phantom.util.hashmap;

class environment
{
    var current_user : user;
    var values : .phantom.util.hashmap;

    user getUser()
    {
        if (current_user :== null) current_user = new user();
        return current_user;
    }

    .internal.object get(var name : string)
    {
        if (values :== null) return null;
        return values.get(name);
    }

    void set(var name : string, var value : .internal.object)
    {
        if (values :== null) values = new .phantom.util.hashmap();
        values.put(name, value);
    }
};
