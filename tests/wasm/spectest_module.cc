// The spectest module (spectest_module.h): its host functions and the bytes of its wrapper module.
#include "spectest_module.h"

#include <string>

#include "wasm_test_bytes.h"

namespace phantom::test {

using wasm::ValueType;
using namespace wasm::test_bytes;

namespace {

struct PrintFunction {
  const char* name;
  std::vector<ValueType> params;
};

// In the order of the wrapper's type, import and export entries (function i uses type i).
const std::vector<PrintFunction>& print_functions() {
  static const std::vector<PrintFunction> functions = {
      {"print", {}},
      {"print_i32", {ValueType::i32}},
      {"print_i64", {ValueType::i64}},
      {"print_f32", {ValueType::f32}},
      {"print_f64", {ValueType::f64}},
      {"print_i32_f32", {ValueType::i32, ValueType::f32}},
      {"print_f64_f64", {ValueType::f64, ValueType::f64}},
  };
  return functions;
}

wasm::HostOutcome print(wasm::HostCall&) { return wasm::HostOutcome::done; }

Bytes little_endian(std::uint64_t value, int bytes) {
  Bytes out;
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
  return out;
}

Bytes export_entry(const std::string& field, std::uint8_t kind, std::uint32_t index) {
  return name(field) + Bytes{kind} + leb(index);
}

}  // namespace

wasm::HostModule spectest_host_module() {
  wasm::HostModule module;
  module.name = "spectest_host";
  for (const PrintFunction& f : print_functions()) module.functions.push_back({f.name, wasm::FuncType{f.params, {}}, print});
  return module;
}

std::vector<std::uint8_t> spectest_module_bytes() {
  constexpr std::uint8_t kind_func = 0, kind_table = 1, kind_memory = 2, kind_global = 3;
  constexpr std::uint8_t immutable = 0, limits_min_max = 1;
  std::vector<Bytes> types, imports, exports;
  for (std::uint32_t i = 0; i < print_functions().size(); ++i) {
    const PrintFunction& f = print_functions()[i];
    Bytes params;
    for (ValueType type : f.params) params.push_back(static_cast<std::uint8_t>(type));
    types.push_back(func_type(params, {}));
    imports.push_back(name("spectest_host") + name(f.name) + Bytes{kind_func} + leb(i));
    exports.push_back(export_entry(f.name, kind_func, i));
  }
  // 666.6 as the reference interpreter reads it: f32 0x4426a666, f64 0x4084d4cccccccccd.
  const std::vector<Bytes> globals = {
      Bytes{i32, immutable, 0x41} + sleb(666) + end(),
      Bytes{i64, immutable, 0x42} + sleb(666) + end(),
      Bytes{f32, immutable, 0x43} + little_endian(0x4426a666, 4) + end(),
      Bytes{f64, immutable, 0x44} + little_endian(0x4084d4cccccccccdull, 8) + end(),
  };
  const char* global_names[] = {"global_i32", "global_i64", "global_f32", "global_f64"};
  for (std::uint32_t i = 0; i < globals.size(); ++i) exports.push_back(export_entry(global_names[i], kind_global, i));
  exports.push_back(export_entry("table", kind_table, 0));
  exports.push_back(export_entry("memory", kind_memory, 0));
  return module({
      section(1, vec(types)),
      section(2, vec(imports)),
      section(4, vec({Bytes{funcref, limits_min_max} + leb(10) + leb(20)})),
      section(5, vec({Bytes{limits_min_max} + leb(1) + leb(2)})),
      section(6, vec(globals)),
      section(7, vec(exports)),
  });
}

}  // namespace phantom::test
