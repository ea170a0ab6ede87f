// .ru.dz.phantom.system.class_loader: the system class loader (pvm.md §3.10). The VM asks it, through
// get_class [8], for every class its own cache does not hold; it remembers what it loaded.
package .ru.dz.phantom.system;

import .phantom.util.hashmap;

class class_loader
{
    var boot_object : .internal.bootstrap;
    var loaded : .phantom.util.hashmap;

    void init(var _boot_object : .internal.bootstrap)
    {
        boot_object = _boot_object;
        loaded = new .phantom.util.hashmap();
    }

    .internal.object get_class(var name : string) [8]
    {
        var cls : .internal.object;
        cls = loaded.get(name);
        if (cls :!= null) return cls;
        try { cls = boot_object.loadClass(name); }
        catch (string e) { return null; }
        loaded.put(name, cls);
        return cls;
    }

    int count() { return loaded.size(); }
};
