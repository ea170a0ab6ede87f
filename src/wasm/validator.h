// Validator: the module-level rules of WebAssembly 2.0 validation (spec 3.4), everything but the
// instructions of function bodies, which the compiler validates as it compiles them (compiler.h).
// Owns: index spaces (imports first), type and index checks of imports, globals, tables, memories,
// exports, the start function and segments, constant-expression typing, and the set of functions a
// `ref.func` may name (spec C.refs).
// Errors are Errc::invalid_argument ("invalid" in the spec's sense; the test suite's assert_invalid),
// naming the section and what is wrong.
#pragma once

#include <cstdint>
#include <vector>

#include "util/result.h"
#include "wasm/module.h"

namespace phantom::wasm {

// The module's index spaces, imports first (spec 3.1.3's context C).
struct ModuleInfo {
  std::vector<std::uint32_t> function_types;  // type index of every function
  std::uint32_t imported_functions = 0;
  std::vector<TableType> tables;
  std::uint32_t imported_tables = 0;
  std::vector<MemoryType> memories;
  std::uint32_t imported_memories = 0;
  std::vector<GlobalType> globals;
  std::uint32_t imported_globals = 0;
  std::vector<bool> referenceable;  // per function: may be named by ref.func in a body (C.refs)
};

// Largest memory the spec allows (memory32): 65536 pages of 64 KiB.
constexpr std::uint32_t max_memory_pages_spec = 65536;

Result<ModuleInfo> validate_module(const Module& module);

// The type a constant expression produces, checked (used for globals and segments; and by the
// runtime, which evaluates only what this accepted).
Status check_const_expr(const Module& module, const ModuleInfo& info, const ConstExpr& expr, ValueType expected,
                        std::string_view what);

}  // namespace phantom::wasm
