// wasm_instance: .phantom.wasm.instance end to end (docs/wasm.md): a module (wasm_instance.wat, built to
// wasm_instance.wasm by wat2wasm) loaded from its bytes, its exports called with each argument type,
// its memory and globals kept between calls, several results, a trap, bad arguments, a bad module, and
// loading from a file of the sandbox directory (and a name that would leave it).
package .test;

class program
{
    var b : .internal.bootstrap;

    void p(var s : string) { b.consolePrint(s + "\n"); }

    void startup(var boot : .internal.bootstrap) [8]
    {
        var w : .phantom.wasm.instance;
        var bad : .phantom.wasm.instance;
        var pair : .internal.object[];
        var big : .internal.long;
        b = boot;
        w = new .phantom.wasm.instance();
        w.load(import "wasm_instance.wasm");
        p("add: " + w.call2("add", 2, 40));
        p("bump: " + w.call0("bump") + " " + w.call0("bump") + " " + w.call0("bump"));
        p("stored: " + w.call0("stored"));
        big = 1000000;
        p("scale: " + w.call2("scale", 2.5, big));
        pair = (.internal.object[]) w.call0("pair");
        p("pair: " + pair[0] + " " + pair[1]);
        try { w.call2("divide", 1, 0); } catch (string e) { p("trap: " + e); }
        try { w.call2("scale", 1, 2); } catch (string e) { p("bad argument: " + e); }
        try { w.call1("add", 1); } catch (string e) { p("bad count: " + e); }
        try { w.call0("nothing"); } catch (string e) { p("no export: " + e); }
        bad = new .phantom.wasm.instance();
        try { bad.load("not a module"); } catch (string e) { p("bad module: " + e); }
        p("after the errors: " + w.call0("bump"));
        saveFile("copy.wasm", import "wasm_instance.wasm");
        bad.loadFile("copy.wasm");
        p("from a file: " + bad.call2("add", 1, 2) + ", a fresh instance: " + bad.call0("bump"));
        try { bad.loadFile("../escape.wasm"); } catch (string e) { p("escape: " + e); }
    }

    void saveFile(var name : string, var data : string)
    {
        var f : .internal.connection;
        f = new .internal.connection();
        f.connect("fio:" + name);
        f.block(1, 8);
        f.block(data, 1);
        f.disconnect();
    }
};
