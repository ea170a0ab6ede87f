// .internal.wasm: WebAssembly (pvm.md §4.3.11); answers "not available yet" until a later issue.
package .internal;

class wasm
{
    void loadModule(var code : string) [8] {}
    .internal.object invokeWasm(var name : string, var args : .internal.object) [9] {}
    .internal.object wasiInvokeStart(var argv : .internal.object) [10] {}
    void wasiSetEnvVariables(var env : .internal.object) [11] {}
    .internal.long shareObject(var o : .internal.object) [12] {}
    .internal.object retreiveObject(var id : .internal.long, var remove : int) [13] {}
    void releaseObjects() [14] {}
};
