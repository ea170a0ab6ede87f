// Module: names of the model's enumerations, for messages and dumps (wasm layer).
#include "wasm/module.h"

namespace phantom::wasm {

const char* value_type_name(ValueType type) {
  switch (type) {
    case ValueType::i32: return "i32";
    case ValueType::i64: return "i64";
    case ValueType::f32: return "f32";
    case ValueType::f64: return "f64";
    case ValueType::v128: return "v128";
    case ValueType::funcref: return "funcref";
    case ValueType::externref: return "externref";
  }
  return "?";
}

const char* external_kind_name(ExternalKind kind) {
  switch (kind) {
    case ExternalKind::function: return "function";
    case ExternalKind::table: return "table";
    case ExternalKind::memory: return "memory";
    case ExternalKind::global: return "global";
  }
  return "?";
}

}  // namespace phantom::wasm
