// libFuzzer target: the WebAssembly decoder (wasm/decoder.h) on arbitrary bytes. Whatever the bytes, the
// decoder answers with a module or an error that names a place ("section, offset 0x..: ..."), never a
// crash, an out-of-bounds read (ASan) or an allocation a lying count asked for (-rss_limit_mb). A decoded
// module must keep the invariants of wasm/module.h.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "wasm/decoder.h"

using namespace phantom::wasm;

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

void check_range(const ByteRange& range, std::size_t size) {
  require(range.offset <= size && range.size <= size - range.offset);
}

void check_expr(const ConstExpr& expr, std::size_t size, const DecoderLimits& limits) {
  check_range(expr.bytes, size);
  require(expr.instrs.size() <= limits.const_expr_instrs);
}

void check_module(const Module& module, std::span<const std::uint8_t> bytes, const DecoderLimits& limits) {
  require(module.functions.size() == module.codes.size());
  require(!module.data_count || *module.data_count == module.data.size());
  require(module.types.size() <= limits.types && module.functions.size() <= limits.functions);
  for (const FunctionBody& body : module.codes) {
    check_range(body.code, bytes.size());
    require(body.code.size > 0 && bytes[body.code.end() - 1] == 0x0b);
    std::uint64_t total = 0;
    for (const LocalRun& run : body.locals) total += run.count;
    require(total == body.local_count && total <= limits.locals_per_function);
  }
  for (const Global& global : module.globals) check_expr(global.init, bytes.size(), limits);
  for (const ElementSegment& segment : module.elements) {
    if (segment.mode == SegmentMode::active) check_expr(segment.offset, bytes.size(), limits);
    for (const ConstExpr& expr : segment.expressions) check_expr(expr, bytes.size(), limits);
    require(segment.size() <= limits.elements_per_segment);
  }
  for (const DataSegment& segment : module.data) check_range(segment.bytes, bytes.size());
  for (const CustomSection& custom : module.customs) check_range(custom.content, bytes.size());
  for (const TableType& table : module.tables) require(!table.limits.max || table.limits.min <= *table.limits.max);
  for (const MemoryType& memory : module.memories)
    require(!memory.limits.max || memory.limits.min <= *memory.limits.max);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> bytes(data, size);
  const DecoderLimits limits;
  phantom::Result<Module> result = decode_module(bytes, limits);
  if (!result.ok()) {
    require(result.error().message.find(", offset 0x") != std::string::npos);  // every error names its place
    return 0;
  }
  check_module(result.value(), bytes, limits);
  return 0;
}
