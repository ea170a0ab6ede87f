// Type reader: value types, reference types, limits, table and global types (wasm layer).
// May call: util/ only.
#include "wasm/type_reader.h"

namespace phantom::wasm {

Result<ValueType> read_value_type(BinaryReader& reader, std::string_view what) {
  const std::size_t at = reader.offset();
  PHANTOM_ASSIGN(std::uint8_t code, reader.byte(what));
  switch (static_cast<ValueType>(code)) {
    case ValueType::i32:
    case ValueType::i64:
    case ValueType::f32:
    case ValueType::f64:
    case ValueType::v128:
    case ValueType::funcref:
    case ValueType::externref:
      return static_cast<ValueType>(code);
  }
  return reader.error_at(at, fmt::format("{}: {:#04x} is not a value type (malformed value type)", what, code));
}

Result<ValueType> read_reference_type(BinaryReader& reader, std::string_view what) {
  const std::size_t at = reader.offset();
  PHANTOM_ASSIGN(std::uint8_t code, reader.byte(what));
  const auto type = static_cast<ValueType>(code);
  if (!is_reference(type))
    return reader.error_at(at, fmt::format("{}: {:#04x} is not a reference type (malformed reference type)", what,
                                           code));
  return type;
}

Result<Limits> read_limits(BinaryReader& reader, std::string_view what) {
  const std::size_t at = reader.offset();
  PHANTOM_ASSIGN(std::uint8_t flag, reader.byte(fmt::format("{} limits flag", what)));
  if (flag > 1)
    return reader.error_at(at, fmt::format("{}: limits flag {:#04x} is neither 0x00 (min) nor 0x01 (min, max) "
                                           "(integer too large)", what, flag));
  Limits limits;
  PHANTOM_ASSIGN(limits.min, reader.u32(fmt::format("{} minimum", what)));
  if (flag == 0) return limits;
  const std::size_t max_at = reader.offset();
  PHANTOM_ASSIGN(std::uint32_t max, reader.u32(fmt::format("{} maximum", what)));
  if (limits.min > max)
  {
    // Well formed, but invalid (spec 3.2.1): the validator's category, checked here because it is cheap.
    Error error = reader.error_at(max_at, fmt::format("{}: minimum {} is greater than maximum {} (size minimum must not be "
                                                      "greater than maximum)", what, limits.min, max));
    error.code = Errc::invalid_argument;
    return error;
  }
  limits.max = max;
  return limits;
}

Result<TableType> read_table_type(BinaryReader& reader, std::string_view what) {
  TableType table;
  PHANTOM_ASSIGN(table.element, read_reference_type(reader, fmt::format("{} element type", what)));
  PHANTOM_ASSIGN(table.limits, read_limits(reader, what));
  return table;
}

Result<GlobalType> read_global_type(BinaryReader& reader, std::string_view what) {
  GlobalType global;
  PHANTOM_ASSIGN(global.type, read_value_type(reader, fmt::format("{} type", what)));
  const std::size_t at = reader.offset();
  PHANTOM_ASSIGN(std::uint8_t mutability, reader.byte(fmt::format("{} mutability", what)));
  if (mutability > 1)
    return reader.error_at(at, fmt::format("{}: mutability {:#04x} is neither 0x00 (const) nor 0x01 (var) "
                                           "(malformed mutability)", what, mutability));
  global.is_mutable = mutability == 1;
  return global;
}

}  // namespace phantom::wasm
