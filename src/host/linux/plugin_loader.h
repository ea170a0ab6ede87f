// Modules loaded on demand (host layer, Linux). The back-ends whose libraries are costly to load and that
// few runs use (SDL2, libvncserver, libcurl: linked into `phantom` they cost every start about 15 ms of
// CPU) are shared objects of their own, built beside the executable and loaded with dlopen the first time
// they are asked for: phantom-display-vnc.so, phantom-display-sdl.so, phantom-http-curl.so. Each exports
// one extern "C" factory whose name carries a version (host/display.h, host/http_client.h).
//
// A module stays loaded for the rest of the process (never dlclose): the objects it made, their code and
// their threads, may live until exit.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "util/result.h"

namespace phantom::host {

// Where modules are looked for, in this order, duplicates dropped: the directory of the running
// executable (/proc/self/exe), $PHANTOM_PLUGIN_DIR when set, and the build directory compiled in (so that
// the test binaries beneath it, and a `phantom` copied elsewhere, find them too).
std::vector<std::string> plugin_directories();

// Finds `file` ("phantom-display-vnc.so") in the first of `directories` that has it, loads it
// (RTLD_NOW | RTLD_LOCAL: every symbol resolved now, none made visible to other modules) and returns the
// address of its `symbol`. Errors read "cannot load FILE (searched DIR, DIR): WHY", WHY being "no such
// file in any of them" (Errc::not_found) or dlerror()'s words for a file that does not load or lacks the
// symbol (Errc::unsupported: a broken module, or one from another build).
Result<void*> load_plugin_symbol(const std::string& file, const char* symbol, const std::vector<std::string>& directories);

// The same, in plugin_directories().
Result<void*> load_plugin_symbol(const std::string& file, const char* symbol);

class HttpClient;
// What start_http_client returns when phantom-http-curl.so does not load: a client that answers every
// request, on a thread of its own, with HttpErrc::failed and "URL: no HTTP client: WHY". For tests.
std::unique_ptr<HttpClient> unavailable_http_client(std::string why);

}  // namespace phantom::host
