// Compiler driver: compiles a set of Phantom source files into class files (compiler layer).
// All files are lexed and parsed first, then declared and numbered together, then generated; class
// files are written only when no file had an error, each to a temporary name renamed into place; on an
// error the class files an earlier run wrote for these sources are removed. So an error never leaves a
// partial or stale class file (language.md quirk 35).
#pragma once

#include <string>
#include <vector>

#include "plc/source.h"

namespace phantom::plc {

struct CompileOptions {
  std::vector<std::string> files;
  std::string out_dir = ".";
  std::vector<std::string> class_path;  // searched in order for imported classes
  bool listing = false;                 // disassembly of every generated method
  bool write = true;                    // false: check only (tests, fuzzing)
};

struct CompileResult {
  std::size_t errors = 0;
  std::size_t warnings = 0;
  std::string diagnostics;              // formatted, in order
  std::string listing;
  std::vector<std::string> written;     // class files written
  std::vector<std::string> removed;     // stale class files of the failed sources, removed
  std::vector<std::string> class_names; // classes compiled
};

CompileResult compile(const CompileOptions& options);

// Compiles one in-memory source (fuzzing and tests); nothing is written.
CompileResult compile_text(const std::string& name, const std::string& text, const std::vector<std::string>& class_path);

}  // namespace phantom::plc
