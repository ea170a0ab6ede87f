// The "spectest" module every test-suite script may import from (test support): the print functions
// and a global of each number type, a table and a memory, as the reference interpreter defines them
// (WebAssembly/spec, interpreter/host/spectest.ml).
//
// A HostModule can offer only functions, so "spectest" is two parts: the print functions are host
// functions of a host module named "spectest_host", and a small wasm module, built here byte by byte,
// imports them and re-exports them beside its own globals, table and memory. Its instance is registered
// as "spectest" in the store, so imports of the scripts link to it like to any registered module.
#pragma once

#include <cstdint>
#include <vector>

#include "wasm/runtime.h"

namespace phantom::test {

// The host module "spectest_host": print, print_i32, print_i64, print_f32, print_f64, print_i32_f32,
// print_f64_f64; each accepts its arguments and does nothing (the suite checks nothing they print).
wasm::HostModule spectest_host_module();

// The binary of the wrapper module: imports the functions from "spectest_host", exports them, and
// global_i32 = 666, global_i64 = 666, global_f32 = 666.6, global_f64 = 666.6 (immutable), table (10..20
// funcref) and memory (1..2 pages).
std::vector<std::uint8_t> spectest_module_bytes();

}  // namespace phantom::test
