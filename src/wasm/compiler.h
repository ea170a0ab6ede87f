// Compiler: validates each function body (spec 3.3, with the algorithm of the spec's appendix A.3) and
// translates it, in the same pass, into the interpreter's code (code.h) (wasm layer).
// Owns: instruction decoding (the opcodes and immediates the decoder left to it, so also the
// "malformed" cases found inside bodies), operand and control stacks of validation, static stack
// heights, branch resolution, and the map of wasm offsets to resume points.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "util/result.h"
#include "wasm/code.h"
#include "wasm/module.h"
#include "wasm/validator.h"

namespace phantom::wasm {

// Function `defined_index` (0 = the first function the module defines). Errors: Errc::corrupt for a
// malformed body, Errc::invalid_argument for an invalid one, Errc::unsupported for SIMD and our
// limits; the message names the function and the byte offset.
Result<CompiledFunction> compile_function(const Module& module, const ModuleInfo& info,
                                          std::span<const std::uint8_t> bytes, std::uint32_t defined_index);

struct CompiledModule {
  ModuleInfo info;
  std::vector<CompiledFunction> functions;  // one per defined function
};
// validate_module, then compile_function for every body: a module that passes is valid.
Result<CompiledModule> compile_module(const Module& module, std::span<const std::uint8_t> bytes);

}  // namespace phantom::wasm
