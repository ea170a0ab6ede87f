// Assembled classes for tests: text in, `<name>.pc` in a class directory out (test support).
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include "classfile/assembler.h"
#include "classfile/class_writer.h"

namespace phantom::test {

// Assembles `source` and writes the class file into `dir`; returns "" or the assembler's error.
inline std::string write_assembled_class(const std::filesystem::path& dir, const std::string& source) {
  auto file = classfile::assemble(source, "test.pa");
  if (!file.ok()) return file.error().message;
  auto bytes = classfile::write_class_file(*file);
  std::ofstream(dir / (file->header.name.substr(1) + ".pc"), std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return "";
}

}  // namespace phantom::test
