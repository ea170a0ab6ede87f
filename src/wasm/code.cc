// Code: names, immediates, the pc maps and finalisation of compiled functions. See code.h.
#include "wasm/code.h"

#include <algorithm>

#include <fmt/format.h>

namespace phantom::wasm {
namespace {

constexpr const char* op_names[] = {
#define WASM_OP(name) #name,
#include "wasm/internal_ops.def"
#undef WASM_OP
};
constexpr unsigned op_imms[] = {
#define WASM_OP_IMM(name, imms) imms,
#define WASM_OP(name)
#include "wasm/internal_ops.def"
#undef WASM_OP
};
static_assert(std::size(op_names) == static_cast<std::size_t>(Op::count));
static_assert(std::size(op_imms) == static_cast<std::size_t>(Op::count));

}  // namespace

const char* op_name(Op op) { return op < Op::count ? op_names[static_cast<std::size_t>(op)] : "?"; }
unsigned op_immediates(Op op) { return op < Op::count ? op_imms[static_cast<std::size_t>(op)] : 0; }

std::uint32_t CompiledFunction::wasm_offset_at(std::uint32_t code_index) const {
  auto it = std::upper_bound(pcs.begin(), pcs.end(), code_index,
                             [](std::uint32_t index, const PcEntry& e) { return index < e.code_index; });
  return it == pcs.begin() ? 0 : std::prev(it)->wasm_offset;
}

bool CompiledFunction::is_resume_op(std::uint32_t code_index) const {
  if (code_index >= code.size()) return false;
  auto it = std::lower_bound(pcs.begin(), pcs.end(), code_index,
                             [](const PcEntry& e, std::uint32_t index) { return e.code_index < index; });
  if (it == pcs.end() || it->code_index != code_index) return false;
  // Ops are replaced by handler addresses in finalize(); the kind of op is kept in resume_kinds_.
  return std::binary_search(resume_points.begin(), resume_points.end(), code_index);
}

std::int64_t CompiledFunction::resume_point(std::uint32_t wasm_offset) const {
  auto it = std::lower_bound(pcs.begin(), pcs.end(), wasm_offset,
                             [](const PcEntry& e, std::uint32_t offset) { return e.wasm_offset < offset; });
  for (; it != pcs.end() && it->wasm_offset == wasm_offset; ++it)
    if (std::binary_search(resume_points.begin(), resume_points.end(), it->code_index)) return it->code_index;
  return -1;
}

void finalize(CompiledFunction& function, const void* const* handlers) {
  function.resume_points.clear();
  for (const PcEntry& e : function.pcs) {
    auto op = static_cast<Op>(function.code[e.code_index].u64);
    if (op == Op::call || op == Op::call_indirect || op == Op::loop_check) function.resume_points.push_back(e.code_index);
  }
  for (std::uint32_t slot : function.target_slots)
    function.code[slot].target = function.code.data() + function.code[slot].u64;
  for (const PcEntry& e : function.pcs)
    function.code[e.code_index].handler = handlers[function.code[e.code_index].u64];
  function.target_slots.clear();
}

std::string disassemble(const CompiledFunction& function) {
  std::string out;
  for (std::size_t i = 0; i < function.pcs.size(); ++i) {
    std::uint32_t at = function.pcs[i].code_index;
    auto op = static_cast<Op>(function.code[at].u64);
    std::uint32_t end = i + 1 < function.pcs.size() ? function.pcs[i + 1].code_index : static_cast<std::uint32_t>(function.code.size());
    out += fmt::format("{:5} @{:#06x} {}", at, function.pcs[i].wasm_offset, op_name(op));
    for (std::uint32_t k = at + 1; k < end; ++k) out += fmt::format(" {}", function.code[k].u64);
    out += '\n';
  }
  return out;
}

}  // namespace phantom::wasm
