// JSON into objects: `.internal.string.parseJson` [20] (VM layer, pvm.md §4.3.2, subsystems.md §4).
// Kept apart from natives.cc because it is a parser of untrusted input with its own limits, fuzzed on
// its own (fuzz/json_fuzzer.cc). The mapping is in json_natives.cc and docs/network.md "JSON".
#pragma once

#include <string>
#include <string_view>

#include "vm/vm.h"

namespace phantom::vm {

// Nesting deeper than this is refused (a clear error instead of a deep tree or a long recursion in
// the programs that walk it).
constexpr int json_max_depth = 256;

// The tree of objects that `text` denotes, or raw_null with `error` set ("parse error at line 2,
// column 5: ..."). May throw OutOfMemory (the native then runs again after a collection).
Ref parse_json(Vm& vm, std::string_view text, std::string& error);

// The native: "s".parseJson(); a malformed text throws a string "parseJson: ...".
NativeOutcome string_parse_json(Vm& vm, NativeCall& call);

}  // namespace phantom::vm
