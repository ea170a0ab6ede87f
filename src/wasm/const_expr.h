// Constant expressions: global initialisers and segment offsets, decoded to ConstInstrs (wasm layer).
// Spec 3.3.10 and 5.4: t.const, ref.null, ref.func, global.get (and v128.const), ended by 0x0b.
// An opcode outside that set is refused here, although the spec calls a non-constant instruction
// "invalid" rather than "malformed": the decoder cannot represent it, and either way the module is
// rejected. Whether the instructions leave exactly one value of the right type is the validator's check.
#pragma once

#include <cstdint>
#include <string_view>

#include "util/result.h"
#include "wasm/binary_reader.h"
#include "wasm/module.h"

namespace phantom::wasm {

// Reads instructions up to and including `end`; at most `max_instrs` of them.
Result<ConstExpr> read_const_expr(BinaryReader& reader, std::string_view what, std::uint32_t max_instrs);

}  // namespace phantom::wasm
