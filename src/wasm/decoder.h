// Decoder: the WebAssembly 2.0 binary format into a Module (wasm layer).
// Owns: the module header, section framing and order, and the contents of every section except the
// instructions of function bodies (those are decoded by the validator, which needs their types anyway).
// Constant expressions (global initialisers, segment offsets, element expressions) are decoded here.
//
// What "rejected" means here is the spec's "malformed" (5.x, and the test suite's assert_malformed):
// the bytes are not a module at all. Index checks and typing are the validator's ("invalid"). Two checks
// of validation are made early because they cost nothing: limits min <= max, and that a constant
// expression holds only constant instructions.
// Cases of "malformed" that the decoder cannot see without decoding instructions, left to the
// instruction decoder: a bad LEB128 in an instruction's immediates (memarg, prefixed sub-opcode), a
// reserved zero byte after memory.size/memory.grow, memory.init/data.drop without a data count
// section, and a body whose last byte is 0x0b but whose last instruction is not `end` (here only "the
// last byte is 0x0b" is checked). tests/wasm/decoder_testsuite_test.cc lists each such test-suite case.
//
// Hostile input: no read leaves the given bytes, every vector count is checked against the bytes left
// before anything is allocated for it, and every count is capped by DecoderLimits.
#pragma once

#include <cstdint>
#include <span>

#include "util/result.h"
#include "wasm/module.h"

namespace phantom::wasm {

// Our implementation limits. Most are the limits that the WebAssembly JS API spec asks every engine to
// accept ("Limits" in the JS API spec, shared by browsers), so a module that runs in a browser decodes
// here. The others (element segments, memories, constant-expression length, custom sections) are ours.
// With the counts checked against the bytes left, host memory stays proportional to the module's size.
// Exceeding one gives Errc::unsupported (the module may be well formed, we just refuse it).
struct DecoderLimits {
  std::uint32_t module_bytes = 1u << 30;  // so that every ByteRange fits 32 bits
  std::uint32_t types = 1'000'000;
  std::uint32_t function_params = 1'000;
  std::uint32_t function_results = 1'000;
  std::uint32_t imports = 100'000;
  std::uint32_t functions = 1'000'000;
  std::uint32_t tables = 100'000;
  std::uint32_t memories = 100;  // 2.0 allows one; the validator says so, we only bound the count
  std::uint32_t globals = 1'000'000;
  std::uint32_t exports = 100'000;
  std::uint32_t element_segments = 100'000;
  std::uint32_t elements_per_segment = 10'000'000;
  std::uint32_t data_segments = 100'000;
  std::uint32_t locals_per_function = 50'000;  // in total over a function's runs
  std::uint32_t function_body_bytes = 7'654'321;
  std::uint32_t const_expr_instrs = 1'000;
  std::uint32_t custom_sections = 10'000;
};

Result<Module> decode_module(std::span<const std::uint8_t> bytes, const DecoderLimits& limits = {});

// The name used in error messages for a section id ("type section", "custom section").
const char* section_name(std::uint8_t id);

}  // namespace phantom::wasm
