// libFuzzer target: Phantom language source through the whole compiler (lexer, parser, declarations,
// code generation and our bytecode verifier), against the class library's internal declarations.
// Any crash, hang or sanitizer report is a bug; compile errors are the expected outcome for most inputs.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "plc/compiler.h"

namespace {
std::string class_dir;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // The library's declarations, compiled once into a scratch directory, make inputs reach the code
  // generator instead of stopping at "class .internal.object is not available".
  class_dir = (std::filesystem::temp_directory_path() / ("plc-fuzz-" + std::to_string(::getpid()))).string();
  std::filesystem::create_directories(class_dir);
  phantom::plc::CompileOptions options;
  for (const auto& entry : std::filesystem::directory_iterator(PLIB_INTERNAL_DIR))
    if (entry.path().extension() == ".ph") options.files.push_back(entry.path().string());
  options.out_dir = class_dir;
  phantom::plc::CompileResult result = phantom::plc::compile(options);
  if (result.errors) {
    std::fprintf(stderr, "plc_fuzzer: the library declarations do not compile:\n%s", result.diagnostics.c_str());
    std::abort();
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 64 * 1024) return 0;
  std::string text(reinterpret_cast<const char*>(data), size);
  phantom::plc::CompileResult result = phantom::plc::compile_text("fuzz.ph", text, {class_dir});
  (void)result;
  return 0;
}
