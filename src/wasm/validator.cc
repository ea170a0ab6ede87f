// Validator: module-level validation (spec 3.4). See validator.h.
#include "wasm/validator.h"

#include <set>
#include <string>

namespace phantom::wasm {
namespace {

Error invalid(std::string_view where, std::string_view what) {
  return make_error(Errc::invalid_argument, "{}: {}", where, what);
}

Status check_memory_type(const MemoryType& type, std::string_view where) {
  if (type.limits.min > max_memory_pages_spec)
    return invalid(where, fmt::format("memory size must be at most {} pages (4 GiB), not {}", max_memory_pages_spec, type.limits.min));
  if (type.limits.max && *type.limits.max > max_memory_pages_spec)
    return invalid(where, fmt::format("memory size must be at most {} pages (4 GiB), not {}", max_memory_pages_spec, *type.limits.max));
  if (type.limits.max && *type.limits.max < type.limits.min)
    return invalid(where, "size minimum must not be greater than maximum");
  return ok_status();
}

Status check_table_type(const TableType& type, std::string_view where) {
  if (type.limits.max && *type.limits.max < type.limits.min)
    return invalid(where, "size minimum must not be greater than maximum");
  return ok_status();
}

void mark_refs_of(const ConstExpr& expr, std::vector<bool>& referenceable) {
  for (const ConstInstr& instr : expr.instrs)
    if (instr.op == ConstInstr::Op::ref_func && instr.index < referenceable.size()) referenceable[instr.index] = true;
}

}  // namespace

Status check_const_expr(const Module& module, const ModuleInfo& info, const ConstExpr& expr, ValueType expected,
                        std::string_view what) {
  (void)module;
  if (expr.instrs.size() != 1)
    return invalid(what, fmt::format("type mismatch: a constant expression must produce exactly one {} (it has {} instructions)",
                                      value_type_name(expected), expr.instrs.size()));
  const ConstInstr& instr = expr.instrs[0];
  ValueType got = ValueType::i32;
  switch (instr.op) {
    case ConstInstr::Op::i32_const: got = ValueType::i32; break;
    case ConstInstr::Op::i64_const: got = ValueType::i64; break;
    case ConstInstr::Op::f32_const: got = ValueType::f32; break;
    case ConstInstr::Op::f64_const: got = ValueType::f64; break;
    case ConstInstr::Op::v128_const: return make_error(Errc::unsupported, "{}: SIMD (v128) is not supported", what);
    case ConstInstr::Op::ref_null: got = instr.ref_type; break;
    case ConstInstr::Op::ref_func:
      if (instr.index >= info.function_types.size())
        return invalid(what, fmt::format("unknown function {} in ref.func", instr.index));
      got = ValueType::funcref;
      break;
    case ConstInstr::Op::global_get:
      // WebAssembly 2.0: a constant expression may read only imported globals, and only immutable ones.
      if (instr.index >= info.imported_globals)
        return invalid(what, fmt::format("unknown global {} (a constant expression reads only imported globals)", instr.index));
      if (info.globals[instr.index].is_mutable)
        return invalid(what, fmt::format("constant expression required: global {} is mutable", instr.index));
      got = info.globals[instr.index].type;
      break;
  }
  if (got != expected)
    return invalid(what, fmt::format("type mismatch: expected {}, got {}", value_type_name(expected), value_type_name(got)));
  return ok_status();
}

Result<ModuleInfo> validate_module(const Module& module) {
  ModuleInfo info;
  const auto type_count = module.types.size();
  for (std::size_t i = 0; i < module.imports.size(); ++i) {
    const Import& import = module.imports[i];
    std::string where = fmt::format("import {} ({}.{})", i, import.module, import.name);
    switch (import.kind) {
      case ExternalKind::function:
        if (import.function_type >= type_count) return invalid(where, fmt::format("unknown type {}", import.function_type));
        info.function_types.push_back(import.function_type);
        ++info.imported_functions;
        break;
      case ExternalKind::table:
        PHANTOM_TRY(check_table_type(import.table, where));
        info.tables.push_back(import.table);
        ++info.imported_tables;
        break;
      case ExternalKind::memory:
        PHANTOM_TRY(check_memory_type(import.memory, where));
        info.memories.push_back(import.memory);
        ++info.imported_memories;
        break;
      case ExternalKind::global:
        if (import.global.type == ValueType::v128) return make_error(Errc::unsupported, "{}: SIMD (v128) is not supported", where);
        info.globals.push_back(import.global);
        ++info.imported_globals;
        break;
    }
  }
  for (std::size_t i = 0; i < module.functions.size(); ++i) {
    if (module.functions[i] >= type_count)
      return invalid(fmt::format("function {}", info.imported_functions + i), fmt::format("unknown type {}", module.functions[i]));
    info.function_types.push_back(module.functions[i]);
  }
  for (std::size_t i = 0; i < module.tables.size(); ++i) {
    PHANTOM_TRY(check_table_type(module.tables[i], fmt::format("table {}", info.tables.size())));
    info.tables.push_back(module.tables[i]);
  }
  for (std::size_t i = 0; i < module.memories.size(); ++i) {
    PHANTOM_TRY(check_memory_type(module.memories[i], fmt::format("memory {}", info.memories.size())));
    info.memories.push_back(module.memories[i]);
  }
  if (info.memories.size() > 1)
    return invalid("memory section", fmt::format("multiple memories ({}): WebAssembly 2.0 allows one", info.memories.size()));
  for (const FuncType& type : module.types)
    for (ValueType t : type.params) if (t == ValueType::v128) return make_error(Errc::unsupported, "type section: SIMD (v128) is not supported");
  info.referenceable.assign(info.function_types.size(), false);

  // Globals: each initialiser sees only the imported globals (2.0).
  for (std::size_t i = 0; i < module.globals.size(); ++i) {
    const Global& global = module.globals[i];
    std::string where = fmt::format("global {}", info.globals.size());
    if (global.type.type == ValueType::v128) return make_error(Errc::unsupported, "{}: SIMD (v128) is not supported", where);
    PHANTOM_TRY(check_const_expr(module, info, global.init, global.type.type, where));
    mark_refs_of(global.init, info.referenceable);
    info.globals.push_back(global.type);
  }

  std::set<std::string_view> export_names;
  for (const Export& e : module.exports) {
    std::string where = fmt::format("export \"{}\"", e.name);
    if (!export_names.insert(e.name).second) return invalid(where, "duplicate export name");
    std::size_t limit = 0;
    switch (e.kind) {
      case ExternalKind::function: limit = info.function_types.size(); break;
      case ExternalKind::table: limit = info.tables.size(); break;
      case ExternalKind::memory: limit = info.memories.size(); break;
      case ExternalKind::global: limit = info.globals.size(); break;
    }
    if (e.index >= limit) return invalid(where, fmt::format("unknown {} {}", external_kind_name(e.kind), e.index));
    if (e.kind == ExternalKind::function) info.referenceable[e.index] = true;
  }

  if (module.start) {
    if (*module.start >= info.function_types.size()) return invalid("start section", fmt::format("unknown function {}", *module.start));
    const FuncType& type = module.types[info.function_types[*module.start]];
    if (!type.params.empty() || !type.results.empty())
      return invalid("start section", "start function must take no parameters and return nothing");
  }

  for (std::size_t i = 0; i < module.elements.size(); ++i) {
    const ElementSegment& segment = module.elements[i];
    std::string where = fmt::format("element segment {}", i);
    if (segment.mode == SegmentMode::active) {
      if (segment.table >= info.tables.size()) return invalid(where, fmt::format("unknown table {}", segment.table));
      if (info.tables[segment.table].element != segment.type)
        return invalid(where, fmt::format("type mismatch: a {} segment for a table of {}", value_type_name(segment.type),
                                          value_type_name(info.tables[segment.table].element)));
      PHANTOM_TRY(check_const_expr(module, info, segment.offset, ValueType::i32, where + " offset"));
    }
    if (segment.uses_expressions) {
      for (const ConstExpr& expr : segment.expressions) {
        PHANTOM_TRY(check_const_expr(module, info, expr, segment.type, where));
        mark_refs_of(expr, info.referenceable);
      }
    } else {
      for (std::uint32_t f : segment.function_indices) {
        if (f >= info.function_types.size()) return invalid(where, fmt::format("unknown function {}", f));
        info.referenceable[f] = true;
      }
    }
  }

  for (std::size_t i = 0; i < module.data.size(); ++i) {
    const DataSegment& segment = module.data[i];
    if (segment.mode != SegmentMode::active) continue;
    std::string where = fmt::format("data segment {}", i);
    if (segment.memory >= info.memories.size()) return invalid(where, fmt::format("unknown memory {}", segment.memory));
    PHANTOM_TRY(check_const_expr(module, info, segment.offset, ValueType::i32, where + " offset"));
  }
  return info;
}

}  // namespace phantom::wasm
