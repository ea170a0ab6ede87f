// libFuzzer target: decoding, validation and compilation (wasm/decoder.h, validator.h, compiler.h) on
// arbitrary bytes. Whatever the bytes, a module is either compiled or refused with an error of the
// documented kinds (malformed, invalid, over our limits) that says something, never a crash, an
// out-of-bounds read (ASan) or a runaway allocation (-rss_limit_mb). Compiled code must keep the
// promises of wasm/code.h: one compiled function per body, of its type, with positions that map back
// into the body they came from.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "wasm/compiler.h"
#include "wasm/decoder.h"

using namespace phantom::wasm;

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

void check_function(const Module& module, const CompiledModule& compiled, std::uint32_t defined) {
  const CompiledFunction& fn = compiled.functions[defined];
  const FunctionBody& body = module.codes[defined];
  require(fn.function_index == compiled.info.imported_functions + defined);
  require(fn.type_index == module.functions[defined] && fn.type_index < module.types.size());
  const FuncType& type = module.types[fn.type_index];
  require(fn.params == type.params.size() && fn.results == type.results.size());
  require(fn.locals == body.local_count && fn.max_height >= fn.params + fn.locals);
  require(!fn.code.empty() && !fn.pcs.empty());
  for (std::size_t i = 0; i < fn.pcs.size(); ++i) {
    const PcEntry& pc = fn.pcs[i];
    require(pc.code_index < fn.code.size());
    require(pc.wasm_offset >= body.code.offset && pc.wasm_offset < body.code.end());
    if (i > 0) require(pc.code_index > fn.pcs[i - 1].code_index && pc.wasm_offset >= fn.pcs[i - 1].wasm_offset);
  }
  for (std::uint32_t slot : fn.target_slots) {
    require(slot < fn.code.size());
    // A branch lands on the first slot of an op (fuse.h never leaves one inside a fused run).
    std::uint64_t target = fn.code[slot].u64;
    auto at = std::lower_bound(fn.pcs.begin(), fn.pcs.end(), target,
                               [](const PcEntry& e, std::uint64_t index) { return e.code_index < index; });
    require(at != fn.pcs.end() && at->code_index == target);
  }
  require(!disassemble(fn).empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> bytes(data, size);
  phantom::Result<Module> module = decode_module(bytes);
  if (!module.ok()) return 0;  // the decoder's own fuzzer checks its errors
  phantom::Result<CompiledModule> compiled = compile_module(*module, bytes);
  if (!compiled.ok()) {
    const phantom::Error& error = compiled.error();
    require(error.code == phantom::Errc::corrupt || error.code == phantom::Errc::invalid_argument ||
            error.code == phantom::Errc::unsupported);
    require(!error.message.empty());
    return 0;
  }
  require(compiled->functions.size() == module->functions.size());
  require(compiled->info.function_types.size() == compiled->info.imported_functions + module->functions.size());
  for (std::uint32_t i = 0; i < compiled->functions.size(); ++i) check_function(*module, *compiled, i);
  return 0;
}
