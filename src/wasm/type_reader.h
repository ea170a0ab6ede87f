// Type reader: value types, reference types, limits, table and global types in binary form (wasm layer).
// Spec 5.3. Each reader names what it reads in its error, "type 3 parameter 1: 0x40 is not a value type".
#pragma once

#include <string_view>

#include "util/result.h"
#include "wasm/binary_reader.h"
#include "wasm/module.h"

namespace phantom::wasm {

Result<ValueType> read_value_type(BinaryReader& reader, std::string_view what);
Result<ValueType> read_reference_type(BinaryReader& reader, std::string_view what);
// Limits: flag 0x00 then min, or 0x01 then min and max; min <= max is checked here (cheap, and no
// later stage wants a table or memory that cannot exist).
Result<Limits> read_limits(BinaryReader& reader, std::string_view what);
Result<TableType> read_table_type(BinaryReader& reader, std::string_view what);
Result<GlobalType> read_global_type(BinaryReader& reader, std::string_view what);

}  // namespace phantom::wasm
