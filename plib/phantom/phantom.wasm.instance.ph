// .phantom.wasm.instance: a WebAssembly module instantiated in the world (docs/wasm.md). Its linear
// memory, tables and globals live in the world and persist across calls and restarts; a call that a
// kill -9 interrupts continues where it was after the restore.
//   var w : .phantom.wasm.instance;
//   w = new .phantom.wasm.instance();
//   w.loadFile("filter.wasm");                 // a file of the world's sandbox directory
//   r = w.call2("add", 2, 3);                  // int, long, float, double arguments and results
package .phantom.wasm;

class instance
{
    var w : .internal.wasm;

    void instance() { w = new .internal.wasm(); }

    // Loads and instantiates a module from its bytes (a string; `import "file.wasm"` gives one) and
    // runs its start function. Throws with the reason (section, offset) for a malformed module.
    void load(var code : string) { w.loadModule(code); }

    // The same from a file of the world's sandbox directory (fio:, docs/connections.md).
    void loadFile(var name : string)
    {
        var f : .internal.connection;
        var size : int;
        var code : string;
        f = new .internal.connection();
        if (f.connect("fio:" + name) != 0) throw "wasm: cannot open " + name + ": " + f.lastError();
        size = (int) f.block(null, 3);
        code = (string) f.block(size, 0);
        f.disconnect();
        load(code);
    }

    // Calls an exported function. Arguments must have the parameters' exact types (int for i32, long
    // for i64, float, double); the result is null, one value, or an array for several.
    .internal.object call(var name : string, var args : .internal.object[]) { return w.invokeWasm(name, args); }
    .internal.object call0(var name : string) { return call(name, new .internal.object[]()); }
    .internal.object call1(var name : string, var a : .internal.object)
    {
        var args : .internal.object[];
        args = new .internal.object[]();
        args[0] = a;
        return call(name, args);
    }
    .internal.object call2(var name : string, var a : .internal.object, var b : .internal.object)
    {
        var args : .internal.object[];
        args = new .internal.object[]();
        args[0] = a;
        args[1] = b;
        return call(name, args);
    }

    // Runs the module as a WASI command in a fresh instance: argv[0] is the program's name. Returns
    // its exit code (0 when _start returns).
    int run(var argv : .internal.object[])
    {
        var r : .internal.object;
        r = w.wasiInvokeStart(argv);
        if (r == null) return 0;
        return (int) r;
    }

    // "NAME=value" strings the next WASI command sees.
    void setEnvironment(var env : .internal.object[]) { w.wasiSetEnvVariables(env); }

    // Objects shared with the guest by id (subsystems.md §5.3).
    .internal.long share(var o : .internal.object) { return w.shareObject(o); }
    .internal.object take(var id : .internal.long) { return w.retreiveObject(id, 1); }
    .internal.object peek(var id : .internal.long) { return w.retreiveObject(id, 0); }
    void releaseAll() { w.releaseObjects(); }
};
