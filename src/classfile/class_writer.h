// Class writer: encodes a ClassFile as a record stream (class-file layer).
// Record order is the compiler's (spec/pvm.md §1.6): C, then per method M with its S and l, then the
// f records (one tuple each), then the c records.
#pragma once

#include <cstdint>
#include <vector>

#include "classfile/class_file.h"

namespace phantom::classfile {

std::vector<std::uint8_t> write_class_file(const ClassFile& file);

struct BulkClass {
  std::string name;  // without the leading dot
  std::vector<std::uint8_t> data;
};
std::vector<std::uint8_t> write_bulk_container(const std::vector<BulkClass>& classes);

}  // namespace phantom::classfile
