// Source files and diagnostics (compiler layer).
#include "plc/source.h"

#include <fmt/format.h>

namespace phantom::plc {

SourceFile::SourceFile(std::string p, std::string t) : path(std::move(p)), text(std::move(t)) {
  line_starts.push_back(0);
  for (std::uint32_t i = 0; i < text.size(); ++i) {
    // LF ends a line; a lone CR too (old Mac files), CRLF counts once (spec/language.md §1.1, quirk 1).
    if (text[i] == '\n' || (text[i] == '\r' && (i + 1 >= text.size() || text[i + 1] != '\n')))
      line_starts.push_back(i + 1);
  }
}

std::string_view SourceFile::line_text(std::uint32_t line) const {
  if (line == 0 || line > line_starts.size()) return {};
  std::size_t begin = line_starts[line - 1];
  std::size_t end = line < line_starts.size() ? line_starts[line] : text.size();
  while (end > begin && (text[end - 1] == '\n' || text[end - 1] == '\r')) --end;
  return std::string_view(text).substr(begin, end - begin);
}

void DiagnosticSink::error(Location where, std::string message) {
  if (saturated() || muted_) return;
  // Recovery from one missing '}' can meet the same end of file once per open block: say it once.
  if (!all_.empty() && all_.back().severity == Severity::error && all_.back().message == message &&
      all_.back().where.line == where.line && all_.back().where.column == where.column && all_.back().where.file == where.file)
    return;
  ++errors_;
  all_.push_back({Severity::error, where, std::move(message)});
}

void DiagnosticSink::warning(Location where, std::string message) {
  if (muted_) return;
  ++warnings_;
  all_.push_back({Severity::warning, where, std::move(message)});
}

std::string DiagnosticSink::format(const Diagnostic& d) {
  const char* kind = d.severity == Severity::error ? "error" : "warning";
  if (!d.where.file) return fmt::format("{}: {}\n", kind, d.message);
  std::string out = fmt::format("{}:{}:{}: {}: {}\n", d.where.file->path, d.where.line, d.where.column, kind, d.message);
  std::string_view line = d.where.file->line_text(d.where.line);
  if (line.empty()) return out;
  std::string caret;
  for (std::uint32_t i = 0; i + 1 < d.where.column && i < line.size(); ++i) caret += line[i] == '\t' ? '\t' : ' ';
  // Control bytes would garble the terminal; they are shown as '?'.
  std::string shown;
  for (char c : line) shown += (static_cast<unsigned char>(c) < 0x20 && c != '\t') ? '?' : c;
  out += fmt::format("  {}\n  {}^\n", shown, caret);
  return out;
}

}  // namespace phantom::plc
