// Decoder: module header, section framing and order, and each section's contents (wasm layer).
// May call: util/ only.
//
// The binary format (spec 5.5), as this file reads it:
//   module   := magic "\0asm"  version 01 00 00 00  section*
//   section  := id:u8  size:u32  contents (exactly `size` bytes)
//   ids      := 0 custom (anywhere, any number), then at most once each and in this order:
//               1 type, 2 import, 3 function, 4 table, 5 memory, 6 global, 7 export, 8 start,
//               9 element, 12 data count, 10 code, 11 data
// Errors name the section and the offset of the first byte of the thing that is wrong.
#include "wasm/decoder.h"

#include <string>
#include <vector>

#include "wasm/binary_reader.h"
#include "wasm/const_expr.h"
#include "wasm/name_section.h"
#include "wasm/type_reader.h"

namespace phantom::wasm {
namespace {

enum SectionId : std::uint8_t {
  custom_id = 0,
  type_id = 1,
  import_id = 2,
  function_id = 3,
  table_id = 4,
  memory_id = 5,
  global_id = 6,
  export_id = 7,
  start_id = 8,
  element_id = 9,
  code_id = 10,
  data_id = 11,
  data_count_id = 12,
};

// Position of a non-custom section in the required order; data count sits between element and code.
int section_rank(std::uint8_t id) {
  switch (id) {
    case data_count_id: return 10;
    case code_id: return 11;
    case data_id: return 12;
    default: return id;
  }
}

constexpr std::uint8_t function_type_form = 0x60;
constexpr std::uint8_t end_opcode = 0x0b;

class ModuleDecoder {
 public:
  ModuleDecoder(std::span<const std::uint8_t> bytes, const DecoderLimits& limits) : bytes_(bytes), limits_(limits) {}

  Result<Module> decode();

 private:
  Status header(BinaryReader& reader);
  Status section(std::uint8_t id, BinaryReader& reader);
  Status cross_section_checks(BinaryReader& module_reader);

  Status type_section(BinaryReader& reader);
  Status import_section(BinaryReader& reader);
  Status function_section(BinaryReader& reader);
  Status table_section(BinaryReader& reader);
  Status memory_section(BinaryReader& reader);
  Status global_section(BinaryReader& reader);
  Status export_section(BinaryReader& reader);
  Status start_section(BinaryReader& reader);
  Status element_section(BinaryReader& reader);
  Status data_count_section(BinaryReader& reader);
  Status code_section(BinaryReader& reader);
  Status data_section(BinaryReader& reader);
  Status custom_section(BinaryReader& reader);

  Result<FuncType> func_type(BinaryReader& reader, std::uint32_t index);
  Result<std::vector<ValueType>> value_types(BinaryReader& reader, const std::string& what, std::uint32_t limit);
  Result<Import> import(BinaryReader& reader, std::uint32_t index);
  Result<ElementSegment> element_segment(BinaryReader& reader, std::uint32_t index);
  Status element_type(BinaryReader& reader, ElementSegment& segment, const std::string& what);
  Status element_items(BinaryReader& reader, ElementSegment& segment, const std::string& what);
  Result<DataSegment> data_segment(BinaryReader& reader, std::uint32_t index);
  Result<FunctionBody> function_body(BinaryReader& reader, std::uint32_t function);
  Status local_runs(BinaryReader& reader, std::uint32_t function, FunctionBody& body);
  void name_section(BinaryReader reader);

  std::uint32_t imported_functions() const;
  // A vector (spec 5.1.3) of items that `read_one(reader, index)` decodes, appended to `out`.
  template <typename T, typename ReadOne>
  Status items(BinaryReader& reader, std::vector<T>& out, std::string_view what, std::uint32_t limit,
               std::size_t min_item_bytes, ReadOne read_one);

  std::span<const std::uint8_t> bytes_;
  const DecoderLimits& limits_;
  Module module_;
  std::uint8_t last_section_ = 0;  // the id of the last non-custom section seen
  std::size_t code_section_offset_ = 0;
  std::size_t data_section_offset_ = 0;
};

// --- Framing -----------------------------------------------------------------------------------------

Result<Module> ModuleDecoder::decode() {
  BinaryReader module_reader(bytes_, 0, bytes_.size(), "module header");
  if (bytes_.size() > limits_.module_bytes)
    return module_reader.limit_error_at(0, fmt::format("the module has {} bytes (at most {})", bytes_.size(),
                                                       limits_.module_bytes));
  PHANTOM_TRY(header(module_reader));
  BinaryReader sections(bytes_, module_reader.offset(), bytes_.size(), "module");
  while (!sections.at_end()) {
    const std::size_t at = sections.offset();
    PHANTOM_ASSIGN(std::uint8_t id, sections.byte("section id"));
    if (id > data_count_id)
      return sections.error_at(at, fmt::format("section id {} is not 0-12 (malformed section id)", id));
    if (id != custom_id && section_rank(id) <= section_rank(last_section_))
      return sections.error_at(at, fmt::format("{} after {} (sections come at most once each, in the spec's "
                                               "order)", section_name(id), section_name(last_section_)));
    PHANTOM_ASSIGN(std::uint32_t size, sections.u32("section size"));
    PHANTOM_ASSIGN(BinaryReader contents, sections.window(size, section_name(id), section_name(id)));
    PHANTOM_TRY(section(id, contents));
    if (!contents.at_end())
      return contents.error(fmt::format("{} bytes left unread at the end of the section (section size mismatch)",
                                        contents.remaining()));
    if (id != custom_id) last_section_ = id;
  }
  PHANTOM_TRY(cross_section_checks(sections));
  return std::move(module_);
}

Status ModuleDecoder::header(BinaryReader& reader) {
  constexpr std::uint64_t magic = 0x6d736100;  // "\0asm" read as a little-endian u32
  PHANTOM_ASSIGN(std::uint64_t found, reader.fixed(4, "the magic number \\0asm"));
  if (found != magic)
    return reader.error_at(0, fmt::format("magic number is {:#010x} (little-endian), not {:#010x} \\0asm (magic "
                                          "header not detected)", found, magic));
  PHANTOM_ASSIGN(std::uint64_t version, reader.fixed(4, "the version"));
  if (version != 1)
    return make_error(Errc::corrupt, "module header, offset 0x4: version {} is not 1 (unknown binary version)",
                      version);
  return ok_status();
}

Status ModuleDecoder::section(std::uint8_t id, BinaryReader& reader) {
  switch (id) {
    case custom_id: return custom_section(reader);
    case type_id: return type_section(reader);
    case import_id: return import_section(reader);
    case function_id: return function_section(reader);
    case table_id: return table_section(reader);
    case memory_id: return memory_section(reader);
    case global_id: return global_section(reader);
    case export_id: return export_section(reader);
    case start_id: return start_section(reader);
    case element_id: return element_section(reader);
    case data_count_id: return data_count_section(reader);
    case code_id: return code_section(reader);
    case data_id: return data_section(reader);
  }
  return reader.error_at(reader.offset(), "unknown section");  // not reached: ids were checked
}

// Counts that must agree across sections; an absent section counts as empty.
Status ModuleDecoder::cross_section_checks(BinaryReader& module_reader) {
  if (module_.functions.size() != module_.codes.size()) {
    const std::size_t at = code_section_offset_ != 0 ? code_section_offset_ : module_reader.offset();
    return make_error(Errc::corrupt,
                      "code section, offset {:#x}: {} function bodies for {} declared functions (function and code "
                      "section have inconsistent lengths)",
                      at, module_.codes.size(), module_.functions.size());
  }
  if (module_.data_count && *module_.data_count != module_.data.size()) {
    const std::size_t at = data_section_offset_ != 0 ? data_section_offset_ : module_reader.offset();
    return make_error(Errc::corrupt,
                      "data section, offset {:#x}: {} data segments, the data count section says {} (data count and "
                      "data section have inconsistent lengths)",
                      at, module_.data.size(), *module_.data_count);
  }
  return ok_status();
}

// --- Types, imports, functions, tables, memories, globals, exports, start ----------------------------

template <typename T, typename ReadOne>
Status ModuleDecoder::items(BinaryReader& reader, std::vector<T>& out, std::string_view what, std::uint32_t limit,
                            std::size_t min_item_bytes, ReadOne read_one) {
  PHANTOM_ASSIGN(std::uint32_t count, reader.count(what, limit, min_item_bytes));
  out.reserve(out.size() + count);
  for (std::uint32_t i = 0; i < count; ++i) {
    PHANTOM_ASSIGN(T item, (this->*read_one)(reader, i));
    out.push_back(std::move(item));
  }
  return ok_status();
}

Status ModuleDecoder::type_section(BinaryReader& reader) {
  return items(reader, module_.types, "type count", limits_.types, 3, &ModuleDecoder::func_type);
}

Result<FuncType> ModuleDecoder::func_type(BinaryReader& reader, std::uint32_t index) {
  const std::size_t at = reader.offset();
  PHANTOM_ASSIGN(std::uint8_t form, reader.byte("a type's form"));
  if (form != function_type_form)
    return reader.error_at(at, fmt::format("type {}: form {:#04x} is not a function type (0x60)", index, form));
  FuncType type;
  PHANTOM_ASSIGN(type.params, value_types(reader, fmt::format("type {} parameter", index), limits_.function_params));
  PHANTOM_ASSIGN(type.results, value_types(reader, fmt::format("type {} result", index), limits_.function_results));
  return type;
}

// A vector of value types: "type 3 parameter count", then "type 3 parameter 0", "type 3 parameter 1", ...
Result<std::vector<ValueType>> ModuleDecoder::value_types(BinaryReader& reader, const std::string& what,
                                                          std::uint32_t limit) {
  PHANTOM_ASSIGN(std::uint32_t count, reader.count(what + " count", limit));
  std::vector<ValueType> types;
  types.reserve(count);
  for (std::uint32_t k = 0; k < count; ++k) {
    PHANTOM_ASSIGN(ValueType type, read_value_type(reader, fmt::format("{} {}", what, k)));
    types.push_back(type);
  }
  return types;
}

Status ModuleDecoder::import_section(BinaryReader& reader) {
  return items(reader, module_.imports, "import count", limits_.imports, 4, &ModuleDecoder::import);
}

Result<Import> ModuleDecoder::import(BinaryReader& reader, std::uint32_t index) {
  Import entry;
  const std::string what = fmt::format("import {}", index);
  PHANTOM_ASSIGN(entry.module, reader.name(what + " module name"));
  PHANTOM_ASSIGN(entry.name, reader.name(what + " field name"));
  const std::size_t at = reader.offset();
  PHANTOM_ASSIGN(std::uint8_t kind, reader.byte(what + " kind"));
  switch (kind) {
    case 0: {
      entry.kind = ExternalKind::function;
      PHANTOM_ASSIGN(entry.function_type, reader.u32(what + " type index"));
      return entry;
    }
    case 1: {
      entry.kind = ExternalKind::table;
      PHANTOM_ASSIGN(entry.table, read_table_type(reader, what));
      return entry;
    }
    case 2: {
      entry.kind = ExternalKind::memory;
      PHANTOM_ASSIGN(entry.memory.limits, read_limits(reader, what));
      return entry;
    }
    case 3: {
      entry.kind = ExternalKind::global;
      PHANTOM_ASSIGN(entry.global, read_global_type(reader, what));
      return entry;
    }
  }
  return reader.error_at(at, fmt::format("{}: kind {:#04x} is not 0-3 (malformed import kind)", what, kind));
}

// Function indices count the imported functions first. Called once per section, never per function: it
// walks the imports.
std::uint32_t ModuleDecoder::imported_functions() const {
  std::uint32_t n = 0;
  for (const Import& entry : module_.imports) n += entry.kind == ExternalKind::function;
  return n;
}

Status ModuleDecoder::function_section(BinaryReader& reader) {
  PHANTOM_ASSIGN(std::uint32_t count, reader.count("function count", limits_.functions));
  module_.functions.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    PHANTOM_ASSIGN(std::uint32_t type, reader.u32("a function's type index"));
    module_.functions.push_back(type);
  }
  return ok_status();
}

Status ModuleDecoder::table_section(BinaryReader& reader) {
  PHANTOM_ASSIGN(std::uint32_t count, reader.count("table count", limits_.tables, 3));
  module_.tables.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    PHANTOM_ASSIGN(TableType table, read_table_type(reader, fmt::format("table {}", i)));
    module_.tables.push_back(table);
  }
  return ok_status();
}

Status ModuleDecoder::memory_section(BinaryReader& reader) {
  PHANTOM_ASSIGN(std::uint32_t count, reader.count("memory count", limits_.memories, 2));
  module_.memories.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    PHANTOM_ASSIGN(Limits limits, read_limits(reader, fmt::format("memory {}", i)));
    module_.memories.push_back(MemoryType{limits});
  }
  return ok_status();
}

Status ModuleDecoder::global_section(BinaryReader& reader) {
  PHANTOM_ASSIGN(std::uint32_t count, reader.count("global count", limits_.globals, 3));
  module_.globals.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::string what = fmt::format("global {}", i);
    Global global;
    PHANTOM_ASSIGN(global.type, read_global_type(reader, what));
    PHANTOM_ASSIGN(global.init, read_const_expr(reader, what + " initializer", limits_.const_expr_instrs));
    module_.globals.push_back(std::move(global));
  }
  return ok_status();
}

Status ModuleDecoder::export_section(BinaryReader& reader) {
  PHANTOM_ASSIGN(std::uint32_t count, reader.count("export count", limits_.exports, 3));
  module_.exports.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::string what = fmt::format("export {}", i);
    Export entry;
    PHANTOM_ASSIGN(entry.name, reader.name(what + " name"));
    const std::size_t at = reader.offset();
    PHANTOM_ASSIGN(std::uint8_t kind, reader.byte(what + " kind"));
    if (kind > 3)
      return reader.error_at(at, fmt::format("{}: kind {:#04x} is not 0-3 (malformed export kind)", what, kind));
    entry.kind = static_cast<ExternalKind>(kind);
    PHANTOM_ASSIGN(entry.index, reader.u32(what + " index"));
    module_.exports.push_back(std::move(entry));
  }
  return ok_status();
}

Status ModuleDecoder::start_section(BinaryReader& reader) {
  PHANTOM_ASSIGN(std::uint32_t function, reader.u32("start function index"));
  module_.start = function;
  return ok_status();
}

// --- Element and data segments -----------------------------------------------------------------------

Status ModuleDecoder::element_section(BinaryReader& reader) {
  return items(reader, module_.elements, "element segment count", limits_.element_segments, 3,
               &ModuleDecoder::element_segment);
}

// The flags' three bits (spec 5.5.12): bit 0 passive or declarative, bit 1 an explicit table index (when
// active) or declarative (when not), bit 2 expressions instead of function indices.
Result<ElementSegment> ModuleDecoder::element_segment(BinaryReader& reader, std::uint32_t index) {
  const std::string what = fmt::format("element segment {}", index);
  const std::size_t at = reader.offset();
  ElementSegment segment;
  PHANTOM_ASSIGN(segment.flags, reader.u32(what + " flags"));
  if (segment.flags > 7)
    return reader.error_at(at, fmt::format("{}: flags {} are not 0-7 (malformed elements segment kind)", what,
                                           segment.flags));
  const bool not_active = segment.flags & 1;
  const bool table_or_declarative = segment.flags & 2;
  segment.uses_expressions = segment.flags & 4;
  segment.mode = !not_active ? SegmentMode::active
                 : table_or_declarative ? SegmentMode::declarative
                                        : SegmentMode::passive;
  if (segment.mode == SegmentMode::active) {
    if (table_or_declarative) {
      PHANTOM_ASSIGN(segment.table, reader.u32(what + " table index"));
    }
    PHANTOM_ASSIGN(segment.offset, read_const_expr(reader, what + " offset", limits_.const_expr_instrs));
  }
  PHANTOM_TRY(element_type(reader, segment, what));
  PHANTOM_TRY(element_items(reader, segment, what));
  return segment;
}

// Flags 0 and 4 imply funcref; the others name it: an element kind byte (0x00, funcref) before function
// indices, a reference type before expressions.
Status ModuleDecoder::element_type(BinaryReader& reader, ElementSegment& segment, const std::string& what) {
  if ((segment.flags & 3) == 0) return ok_status();
  if (segment.uses_expressions) {
    PHANTOM_ASSIGN(segment.type, read_reference_type(reader, what + " element type"));
    return ok_status();
  }
  const std::size_t at = reader.offset();
  PHANTOM_ASSIGN(std::uint8_t kind, reader.byte(what + " element kind"));
  if (kind != 0x00)
    return reader.error_at(at, fmt::format("{}: element kind {:#04x} is not 0x00 (funcref) (malformed element "
                                           "kind)", what, kind));
  return ok_status();
}

Status ModuleDecoder::element_items(BinaryReader& reader, ElementSegment& segment, const std::string& what) {
  PHANTOM_ASSIGN(std::uint32_t count, reader.count(what + " element count", limits_.elements_per_segment,
                                                   segment.uses_expressions ? 2 : 1));
  if (segment.uses_expressions) {
    segment.expressions.reserve(count);
    for (std::uint32_t k = 0; k < count; ++k) {
      PHANTOM_ASSIGN(ConstExpr item, read_const_expr(reader, fmt::format("{} element {}", what, k),
                                                     limits_.const_expr_instrs));
      segment.expressions.push_back(std::move(item));
    }
    return ok_status();
  }
  segment.function_indices.reserve(count);
  for (std::uint32_t k = 0; k < count; ++k) {
    PHANTOM_ASSIGN(std::uint32_t function, reader.u32("an element's function index"));
    segment.function_indices.push_back(function);
  }
  return ok_status();
}

Status ModuleDecoder::data_count_section(BinaryReader& reader) {
  PHANTOM_ASSIGN(std::uint32_t count, reader.u32("data count"));
  module_.data_count = count;
  return ok_status();
}

Status ModuleDecoder::data_section(BinaryReader& reader) {
  data_section_offset_ = reader.offset();
  return items(reader, module_.data, "data segment count", limits_.data_segments, 2, &ModuleDecoder::data_segment);
}

// Flags (spec 5.5.16): 0 active in memory 0, 1 passive, 2 active with an explicit memory index.
Result<DataSegment> ModuleDecoder::data_segment(BinaryReader& reader, std::uint32_t index) {
  const std::string what = fmt::format("data segment {}", index);
  const std::size_t at = reader.offset();
  PHANTOM_ASSIGN(std::uint32_t flags, reader.u32(what + " flags"));
  if (flags > 2)
    return reader.error_at(at, fmt::format("{}: flags {} are not 0-2 (malformed data segment kind)", what, flags));
  DataSegment segment;
  segment.mode = flags == 1 ? SegmentMode::passive : SegmentMode::active;
  if (flags == 2) {
    PHANTOM_ASSIGN(segment.memory, reader.u32(what + " memory index"));
  }
  if (segment.mode == SegmentMode::active) {
    PHANTOM_ASSIGN(segment.offset, read_const_expr(reader, what + " offset", limits_.const_expr_instrs));
  }
  PHANTOM_ASSIGN(std::uint32_t size, reader.u32(what + " size"));
  PHANTOM_ASSIGN(segment.bytes, reader.bytes(size, what + " contents"));
  return segment;
}

// --- Code ----------------------------------------------------------------------------------------------

Status ModuleDecoder::code_section(BinaryReader& reader) {
  code_section_offset_ = reader.offset();
  PHANTOM_ASSIGN(std::uint32_t count, reader.count("function body count", limits_.functions, 2));
  module_.codes.reserve(count);
  const std::uint32_t first = imported_functions();
  for (std::uint32_t i = 0; i < count; ++i) {
    const std::uint32_t function = first + i;
    const std::size_t at = reader.offset();
    PHANTOM_ASSIGN(std::uint32_t size, reader.u32(fmt::format("function {} body size", function)));
    if (size > limits_.function_body_bytes)
      return reader.limit_error_at(at, fmt::format("function {} body has {} bytes (at most {})", function, size,
                                                   limits_.function_body_bytes));
    PHANTOM_ASSIGN(BinaryReader body_reader, reader.window(size, reader.context(), fmt::format("function {} body", function)));
    PHANTOM_ASSIGN(FunctionBody body, function_body(body_reader, function));
    module_.codes.push_back(std::move(body));
  }
  return ok_status();
}

Result<FunctionBody> ModuleDecoder::function_body(BinaryReader& reader, std::uint32_t function) {
  FunctionBody body;
  PHANTOM_TRY(local_runs(reader, function, body));
  // The instructions are decoded by the validator; a body must at least end with `end`.
  PHANTOM_ASSIGN(body.code, reader.bytes(static_cast<std::uint32_t>(reader.remaining()), "instructions"));
  if (body.code.size == 0 || bytes_[body.code.end() - 1] != end_opcode)
    return reader.error_at(body.code.size == 0 ? reader.offset() : body.code.end() - 1,
                           fmt::format("function {} body does not end with 0x0b (END opcode expected)", function));
  return body;
}

// Locals come as runs of (count, type). Their total is bounded while reading, so a run of 2^32-1 locals
// is refused before anything is sized by it.
Status ModuleDecoder::local_runs(BinaryReader& reader, std::uint32_t function, FunctionBody& body) {
  PHANTOM_ASSIGN(std::uint32_t runs, reader.count(fmt::format("function {} local declaration count", function),
                                                  limits_.locals_per_function, 2));
  body.locals.reserve(runs);
  std::uint64_t total = 0;
  std::size_t over_limit_at = 0;  // the run that passed our limit: the rest is only read, to tell
                                  // "more than 2^32 - 1" (malformed) from "more than we take"
  for (std::uint32_t k = 0; k < runs; ++k) {
    const std::size_t at = reader.offset();
    LocalRun run;
    PHANTOM_ASSIGN(run.count, reader.u32(fmt::format("function {} local count", function)));
    total += run.count;
    if (total > limits_.locals_per_function && !over_limit_at) over_limit_at = at;
    PHANTOM_ASSIGN(run.type, read_value_type(reader, fmt::format("function {} local type", function)));
    if (!over_limit_at) body.locals.push_back(run);
  }
  if (total > 0xffffffffull)
    return reader.error(fmt::format("function {} declares {} locals (too many locals: at most 2^32 - 1)", function, total));
  if (over_limit_at)
    return reader.limit_error_at(over_limit_at, fmt::format("function {} declares {} locals (at most {})", function, total,
                                                            limits_.locals_per_function));
  body.local_count = static_cast<std::uint32_t>(total);
  return ok_status();
}

// --- Custom sections -----------------------------------------------------------------------------------

Status ModuleDecoder::custom_section(BinaryReader& reader) {
  if (module_.customs.size() >= limits_.custom_sections)
    return reader.limit_error_at(reader.offset(), fmt::format("more than {} custom sections", limits_.custom_sections));
  CustomSection custom;
  PHANTOM_ASSIGN(custom.name, reader.name("custom section name"));
  PHANTOM_ASSIGN(custom.content, reader.bytes(static_cast<std::uint32_t>(reader.remaining()), "custom section contents"));
  custom.after_section = last_section_;
  if (custom.name == "name")
    name_section(BinaryReader(bytes_, custom.content.offset, custom.content.end(), "name section"));
  module_.customs.push_back(std::move(custom));
  return ok_status();
}

// The "name" section (spec 7.4.1) is read for its function names only. Its errors are not the module's:
// a malformed name section is ignored, as the spec asks.
void ModuleDecoder::name_section(BinaryReader reader) {
  constexpr std::uint8_t function_names_id = 1;
  Result<std::vector<FunctionName>> names = read_function_names(reader, function_names_id, limits_.functions);
  if (names.ok()) module_.function_names = std::move(names.value());
}

}  // namespace

const char* section_name(std::uint8_t id) {
  static constexpr const char* names[] = {"custom section", "type section",    "import section", "function section",
                                          "table section",  "memory section",  "global section", "export section",
                                          "start section",  "element section", "code section",   "data section",
                                          "data count section"};
  return id < std::size(names) ? names[id] : "unknown section";
}

Result<Module> decode_module(std::span<const std::uint8_t> bytes, const DecoderLimits& limits) {
  return ModuleDecoder(bytes, limits).decode();
}

}  // namespace phantom::wasm
