// Assembler and disassembler: a text form of class files for tests and debugging (class-file layer).
// Used by `phantom asm` / `phantom disasm` and by the VM tests, which therefore do not depend on the
// compiler. The format is described in docs/assembler.md; disassemble() output assembles back to the
// same code bytes.
#pragma once

#include <string>
#include <string_view>

#include "classfile/class_file.h"
#include "util/result.h"

namespace phantom::classfile {

// Assembles `source`; errors read "<file>:<line>: <what>".
Result<ClassFile> assemble(std::string_view source, std::string_view file_name);

// The text form of `file`; fails only when a method's code does not verify.
Result<std::string> disassemble(const ClassFile& file);

}  // namespace phantom::classfile
