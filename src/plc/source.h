// Source files and diagnostics of the Phantom language compiler (compiler layer).
// Every message names file:line:column, shows the source line with a caret under the column and says
// what was expected (docs/language.md, "Diagnostics"). The compiler keeps going after an error where it
// can; the sink counts errors so that the driver writes no class file when there was one.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace phantom::plc {

// One source file, read as bytes (spec/language.md §1.1: every byte is one character).
struct SourceFile {
  std::string path;
  std::string text;
  std::vector<std::uint32_t> line_starts;  // byte offset of each line's first byte

  SourceFile(std::string path, std::string text);
  std::string_view line_text(std::uint32_t line) const;  // without the line end
};

// A position in a source file: 1-based line and column.
struct Location {
  const SourceFile* file = nullptr;
  std::uint32_t line = 0;
  std::uint32_t column = 0;
};

enum class Severity { error, warning };

struct Diagnostic {
  Severity severity;
  Location where;
  std::string message;
};

// Collects diagnostics in order; prints them as they come when `echo` is set.
class DiagnosticSink {
 public:
  void error(Location where, std::string message);
  // While muted (the code generator trying an expression to learn its type) nothing is collected.
  void mute(int delta) { muted_ += delta; }
  void warning(Location where, std::string message);
  // "file:line:col: error: message" + the source line + a caret line, ready to print.
  static std::string format(const Diagnostic& diagnostic);

  std::size_t error_count() const { return errors_; }
  std::size_t warning_count() const { return warnings_; }
  const std::vector<Diagnostic>& all() const { return all_; }
  // Stops collecting beyond this many errors (a garbage file must not flood the terminal).
  static constexpr std::size_t max_errors = 50;
  bool saturated() const { return errors_ >= max_errors; }

 private:
  std::vector<Diagnostic> all_;
  std::size_t errors_ = 0;
  int muted_ = 0;
  std::size_t warnings_ = 0;
};

}  // namespace phantom::plc
