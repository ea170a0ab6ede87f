// Module: the plain C++ model of a decoded WebAssembly 2.0 module (wasm layer).
// Owns: nothing but the structure; the decoder (decoder.h) fills it, the validator and the interpreter
// read it. The model does not own the module's bytes: code bodies, data segments and custom sections
// are ByteRanges into the bytes that were decoded, so the caller keeps those bytes alive (later they
// live in an arena object) and nothing is copied twice.
//
// Invariants after a successful decode_module():
//  - every ByteRange lies inside the decoded bytes;
//  - `functions.size() == codes.size()` (function i's body is codes[i]);
//  - `data_count`, when present, equals `data.size()`;
//  - every count stays under the limits of decoder.h (DecoderLimits).
// Indices (type, function, table, memory, global) are NOT checked against their index spaces here:
// that is the validator's job, as in the spec's split between "malformed" and "invalid".
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace phantom::wasm {

// Value types by their binary encoding (spec 5.3.1 and 5.3.3).
enum class ValueType : std::uint8_t {
  i32 = 0x7f,
  i64 = 0x7e,
  f32 = 0x7d,
  f64 = 0x7c,
  v128 = 0x7b,
  funcref = 0x70,
  externref = 0x6f,
};

const char* value_type_name(ValueType type);
inline bool is_reference(ValueType type) { return type == ValueType::funcref || type == ValueType::externref; }

// A slice of the module's bytes: [offset, offset + size), offsets from the module's first byte.
struct ByteRange {
  std::uint32_t offset = 0;
  std::uint32_t size = 0;
  std::uint32_t end() const { return offset + size; }
};

struct FuncType {
  std::vector<ValueType> params;
  std::vector<ValueType> results;
};

struct Limits {
  std::uint32_t min = 0;
  std::optional<std::uint32_t> max;
};

struct TableType {
  ValueType element = ValueType::funcref;  // always a reference type
  Limits limits;
};

struct MemoryType {
  Limits limits;  // in 64 KiB pages
};

struct GlobalType {
  ValueType type = ValueType::i32;
  bool is_mutable = false;
};

// One instruction of a constant expression (spec 3.3.10: the instructions allowed there).
struct ConstInstr {
  enum class Op : std::uint8_t { i32_const, i64_const, f32_const, f64_const, v128_const, ref_null, ref_func, global_get };
  Op op = Op::i32_const;
  std::int64_t integer = 0;       // i32_const (sign-extended), i64_const
  std::uint64_t float_bits = 0;   // f32_const (low 32 bits), f64_const: the raw IEEE bits, no rounding
  std::uint8_t v128[16] = {};     // v128_const, little-endian lanes as encoded
  std::uint32_t index = 0;        // ref_func: function index; global_get: global index
  ValueType ref_type = ValueType::funcref;  // ref_null
};

// A constant expression: its instructions without the final `end`, and the bytes it came from
// (including `end`). The decoder accepts any sequence of constant instructions; that it produces exactly
// one value of the right type is checked by the validator.
struct ConstExpr {
  std::vector<ConstInstr> instrs;
  ByteRange bytes;
};

enum class ExternalKind : std::uint8_t { function = 0, table = 1, memory = 2, global = 3 };
const char* external_kind_name(ExternalKind kind);

struct Import {
  std::string module;
  std::string name;
  ExternalKind kind = ExternalKind::function;
  std::uint32_t function_type = 0;  // kind == function: a type index
  TableType table;                  // kind == table
  MemoryType memory;                // kind == memory
  GlobalType global;                // kind == global
};

struct Global {
  GlobalType type;
  ConstExpr init;
};

struct Export {
  std::string name;
  ExternalKind kind = ExternalKind::function;
  std::uint32_t index = 0;
};

enum class SegmentMode : std::uint8_t { active, passive, declarative };

// An element segment in any of the eight encodings (spec 5.5.12, flags 0-7): either a list of function
// indices (flags 0-3) or a list of constant expressions (flags 4-7).
struct ElementSegment {
  std::uint32_t flags = 0;  // the encoding it came in, kept for diagnostics and re-encoding
  SegmentMode mode = SegmentMode::active;
  std::uint32_t table = 0;  // active only
  ConstExpr offset;         // active only
  ValueType type = ValueType::funcref;
  bool uses_expressions = false;
  std::vector<std::uint32_t> function_indices;  // !uses_expressions
  std::vector<ConstExpr> expressions;           // uses_expressions
  std::size_t size() const { return uses_expressions ? expressions.size() : function_indices.size(); }
};

struct DataSegment {
  SegmentMode mode = SegmentMode::active;  // active or passive
  std::uint32_t memory = 0;                // active only
  ConstExpr offset;                        // active only
  ByteRange bytes;
};

// A run of locals of one type, as the code section encodes them.
struct LocalRun {
  std::uint32_t count = 0;
  ValueType type = ValueType::i32;
};

struct FunctionBody {
  std::vector<LocalRun> locals;
  std::uint32_t local_count = 0;  // the sum of the runs (parameters not included)
  ByteRange code;                 // the instructions, ending with the function's final `end` (0x0b)
};

struct CustomSection {
  std::string name;
  ByteRange content;               // after the name
  std::uint8_t after_section = 0;  // id of the last non-custom section before it (0: none)
};

struct FunctionName {
  std::uint32_t function = 0;
  std::string name;
};

struct Module {
  std::vector<FuncType> types;
  std::vector<Import> imports;
  std::vector<std::uint32_t> functions;  // type index of each function defined here (not imported)
  std::vector<TableType> tables;
  std::vector<MemoryType> memories;
  std::vector<Global> globals;
  std::vector<Export> exports;
  std::optional<std::uint32_t> start;
  std::vector<ElementSegment> elements;
  std::optional<std::uint32_t> data_count;
  std::vector<FunctionBody> codes;
  std::vector<DataSegment> data;
  std::vector<CustomSection> customs;
  // From the "name" custom section's function-name subsection, when it is well formed; empty otherwise
  // (a broken name section never makes a module malformed, spec 7.4).
  std::vector<FunctionName> function_names;
};

}  // namespace phantom::wasm
