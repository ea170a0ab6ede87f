// Code: the interpreter's form of a validated function body (wasm layer).
// Owns: the internal instruction set (Op), its encoding in 8-byte slots, and the maps between internal
// positions and the body's wasm byte offsets.
//
// Compiled code is a host-memory cache, never persisted: after a restart, or under a rebuilt binary,
// it is compiled again from the module's bytes (which are in the arena). What is persisted about a
// running function is (function, wasm byte offset, stack base), and the wasm byte offset of a resume
// point means the same under any build (design.md rule 1). Resume points are the instructions where a
// thread can stop: `call`, `call_indirect` (also host calls) and the safepoint at each loop header.
//
// Encoding: each instruction is one slot holding its handler (an Op while compiling, the handler's
// address once finalize() has run), then its immediates, one slot each. Operands live on the wasm
// value stack, 8-byte cells: the function's parameters and locals first, then the operand stack,
// whose height at every instruction is known statically (the validator computes it), so branches
// carry the exact heights to copy to, and superinstructions (fuse.h) name the cells they read and write.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "wasm/module.h"

namespace phantom::wasm {

// One stack cell: i32 zero-extended, i64, f32 bits in the low half, f64 bits; a reference is 0 for
// null, else its handle + 1 (a function's index in the store's function table; an extern value).
using Cell = std::uint64_t;

enum class Op : std::uint16_t {
#define WASM_OP(name) name,
#include "wasm/internal_ops.def"
#undef WASM_OP
  count
};
const char* op_name(Op op);
// Immediate slots that follow each op (br_table: 1 + 3 * (count + 1), see below).
unsigned op_immediates(Op op);

union Slot {
  const void* handler;
  const Slot* target;   // a branch target after finalize()
  std::uint64_t u64;
  std::int64_t i64;
  std::uint32_t u32;
};
static_assert(sizeof(Slot) == 8);

struct PcEntry {
  std::uint32_t code_index;   // slot index of an instruction's op
  std::uint32_t wasm_offset;  // byte offset of the wasm instruction it came from, from the module's start
};

struct CompiledFunction {
  std::uint32_t function_index = 0;  // in the module's function index space (imports first)
  std::uint32_t type_index = 0;
  std::uint32_t params = 0, results = 0;
  std::uint32_t locals = 0;          // declared locals, after the parameters
  std::uint32_t max_height = 0;      // cells this function needs: params + locals + deepest operand stack
  std::vector<Slot> code;
  std::vector<PcEntry> pcs;          // one per op, in order (both fields increase)
  std::vector<std::uint32_t> target_slots;  // slots holding a code index until finalize() makes it a pointer
  std::vector<std::uint32_t> resume_points;  // code indices of call, call_indirect and loop_check (finalize())

  // The wasm offset of the instruction whose op is at or before `code_index`.
  std::uint32_t wasm_offset_at(std::uint32_t code_index) const;
  // The code index of the resume point at `wasm_offset`, or -1 when there is none there (a damaged or
  // foreign frame: the caller reports it, it never jumps anywhere).
  std::int64_t resume_point(std::uint32_t wasm_offset) const;
  bool is_resume_op(std::uint32_t code_index) const;
};

// Replaces ops by handler addresses and code indices by pointers. `handlers[op]` is the address of
// op's handler in the interpreter (interpreter.h).
void finalize(CompiledFunction& function, const void* const* handlers);

// A readable listing of compiled code (before finalize), for tests and `phantom wasm-dump`.
std::string disassemble(const CompiledFunction& function);

}  // namespace phantom::wasm
