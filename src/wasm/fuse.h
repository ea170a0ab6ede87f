// Fuse: superinstructions for compiled functions (wasm layer).
// Owns: the rewriting of common runs of stack-machine ops into one op that names its operands.
//
// A plain stack machine spends most of its time moving values: `local.get a; local.get b; i32.add;
// local.set c` is four dispatches and six cell moves for one addition. Because the compiler knows the
// operand stack's height at every op, each operand is a known cell of the frame (a local, or a stack
// cell at a fixed index), so such a run becomes one op, `i32_add_rr c a b`. The runs fused
// (internal_ops.def lists the ops):
//   [local.get|const] [local.get|const] <binary> [local.set | br_if | br_unless]
//   [local.get] <load> [local.set]            [local.get] [local.get|const] <store>
//   local.get|const; local.set                local.get; br_if|br_unless      [local.get] i32.eqz; br_if|br_unless
// A run is fused only when no branch lands inside it, and never over a resume point (call,
// call_indirect, loop_check), so the resume points, their wasm offsets and the saved frames are the
// same with and without fusion: a world saved by one build resumes under another.
#pragma once

#include <cstdint>
#include <span>

#include "wasm/code.h"

namespace phantom::wasm {

// Rewrites `function` (before finalize()). `heights[i]` is the height of the frame's cells (locals and
// operand stack) after the op of `function.pcs[i]`.
void fuse(CompiledFunction& function, std::span<const std::uint32_t> heights);

}  // namespace phantom::wasm
