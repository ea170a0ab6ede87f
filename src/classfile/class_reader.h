// Class reader: parses and validates a class file or a bulk class container (class-file layer).
// Input is treated as hostile: every field is bounds-checked against its record, and an error names
// the file, the record (tag and offset) and the field. Deviations from the original loader, where
// it would crash or panic, are listed in docs/compatibility.md.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "classfile/class_file.h"
#include "util/result.h"

namespace phantom::classfile {

// Reads one class file; `file_name` is used in messages only.
Result<ClassFile> read_class_file(std::span<const std::uint8_t> bytes, std::string_view file_name);

// One class of a bulk container (spec/pvm.md §1.9): its name without the leading dot, and its bytes.
struct BulkEntry {
  std::string name;
  std::span<const std::uint8_t> data;
};

// Splits a bulk container into its classes (the class files themselves are not parsed).
Result<std::vector<BulkEntry>> read_bulk_container(std::span<const std::uint8_t> bytes, std::string_view file_name);

}  // namespace phantom::classfile
