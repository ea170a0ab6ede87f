// Name section: the function names of the "name" custom section (spec 7.4.1) (wasm layer).
// Used for messages and traces only; a caller treats an error as "no names", never as a bad module.
#pragma once

#include <cstdint>
#include <vector>

#include "util/result.h"
#include "wasm/binary_reader.h"
#include "wasm/module.h"

namespace phantom::wasm {

// Reads the subsections of a name section's contents and returns the names of subsection
// `function_names_id` (1); empty if there is none. Subsections are (id:u8, size:u32, contents).
Result<std::vector<FunctionName>> read_function_names(BinaryReader& reader, std::uint8_t function_names_id,
                                                      std::uint32_t max_names);

}  // namespace phantom::wasm
