// Compiler driver (compiler layer).
#include "plc/compiler.h"

#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "classfile/assembler.h"
#include "classfile/bytecode.h"
#include "classfile/class_writer.h"
#include "plc/class_table.h"
#include "plc/codegen.h"
#include "plc/declare.h"
#include "plc/lexer.h"
#include "plc/parser.h"

namespace phantom::plc {
namespace {

void flush(DiagnosticSink& sink, CompileResult& result) {
  for (const auto& d : sink.all()) result.diagnostics += DiagnosticSink::format(d);
  result.errors = sink.error_count();
  result.warnings = sink.warning_count();
}

CompileResult run(std::vector<std::unique_ptr<SourceFile>> files, const CompileOptions& options, DiagnosticSink& sink) {
  CompileResult result;
  std::vector<std::vector<Token>> tokens;
  std::set<std::string> declared;
  for (const auto& f : files) {
    tokens.push_back(lex(*f, sink));
    for (auto& name : scan_class_names(tokens.back())) declared.insert(name);
  }
  ClassTable table(options.class_path);
  KnownClass known = [&](const std::string& name) { return declared.count(name) > 0 || table.loadable(name); };
  std::vector<Unit> units;
  for (std::size_t i = 0; i < files.size(); ++i) units.push_back(parse(*files[i], tokens[i], known, sink));
  for (const Unit& unit : units) {
    for (const ImportDecl& imp : unit.imports) {
      std::string error;
      std::string full = imp.name.text();
      if (imp.star) sink.error(imp.name.where, "'import .a.b.*' is not supported: import each class");
      else if (!declared.count(full) && !table.find_or_load(full, error)) sink.error(imp.name.where, error);
    }
  }
  // Declaration and code generation run even after syntax errors, so that one run reports the errors
  // of every method (a statement that did not parse is left out, which may cause a follow-up error).
  // Nothing is written unless the whole run is clean.
  declare_classes(units, table, sink);
  std::vector<classfile::ClassFile> generated;
  {
    for (const Unit& unit : units) {
      for (const ClassDecl& decl : unit.classes) {
        ClassInfo* info = table.find(absolute_name(decl.name));
        if (!info || info->decl != &decl) continue;
        generated.push_back(generate_class(*info, table, sink));
        result.class_names.push_back(info->name);
      }
    }
  }
  // Our own verifier checks what we generate: a failure is a compiler bug, never a silent bad file.
  for (const auto& file : generated) {
    if (sink.error_count()) break;  // code around an error is incomplete by design
    for (const auto& m : file.methods) {
      std::string where = fmt::format("class {} method {} (ordinal {})", file.header.name, m.name, m.ordinal);
      auto decoded = classfile::decode_code(m.code, where);
      if (!decoded.ok()) {
        sink.error({}, fmt::format("internal compiler error: {}", decoded.error().message));
        continue;
      }
      auto depth = classfile::check_object_stack(*decoded, where);
      if (!depth.ok()) sink.error({}, fmt::format("internal compiler error: {}", depth.error().message));
    }
  }
  if (sink.error_count() == 0 && options.listing) {
    for (const auto& file : generated) {
      auto text = classfile::disassemble(file);
      if (text.ok()) result.listing += *text + "\n";
      else result.listing += fmt::format("; {}: {}\n", file.header.name, text.error().message);
    }
  }
  if (sink.error_count() == 0 && options.write) {
    std::vector<std::pair<std::string, std::string>> renames;
    bool failed = false;
    for (const auto& file : generated) {
      std::string name = file.header.name.substr(1);
      std::string path = options.out_dir + "/" + name + ".pc";
      std::string temp = path + ".tmp";
      std::vector<std::uint8_t> bytes = classfile::write_class_file(file);
      std::ofstream out(temp, std::ios::binary | std::ios::trunc);
      out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
      out.close();
      if (!out) {
        sink.error({}, fmt::format("cannot write {}", temp));
        std::remove(temp.c_str());
        failed = true;
        break;
      }
      renames.emplace_back(temp, path);
    }
    for (auto& [temp, path] : renames) {
      if (failed) {
        std::remove(temp.c_str());
        continue;
      }
      if (std::rename(temp.c_str(), path.c_str()) != 0) {
        sink.error({}, fmt::format("cannot rename {} into place", path));
        failed = true;
        std::remove(temp.c_str());
        continue;
      }
      result.written.push_back(path);
    }
  }
  if (sink.error_count() && options.write) {
    // A class file left from an earlier run would no longer match its source: remove it, so that
    // nothing stale is mistaken for this run's output (the original deleted old files first too).
    for (const std::string& name : declared) {
      std::string path = options.out_dir + "/" + name.substr(1) + ".pc";
      if (std::remove(path.c_str()) == 0) result.removed.push_back(path);
    }
  }
  flush(sink, result);
  return result;
}

}  // namespace

CompileResult compile(const CompileOptions& options) {
  DiagnosticSink sink;
  std::vector<std::unique_ptr<SourceFile>> files;
  for (const std::string& path : options.files) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      sink.error({}, fmt::format("{}: cannot open the source file", path));
      continue;
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    files.push_back(std::make_unique<SourceFile>(path, std::move(text)));
  }
  if (sink.error_count()) {
    CompileResult result;
    flush(sink, result);
    return result;
  }
  return run(std::move(files), options, sink);
}

CompileResult compile_text(const std::string& name, const std::string& text, const std::vector<std::string>& class_path) {
  DiagnosticSink sink;
  std::vector<std::unique_ptr<SourceFile>> files;
  files.push_back(std::make_unique<SourceFile>(name, text));
  CompileOptions options;
  options.class_path = class_path;
  options.write = false;
  options.listing = false;
  return run(std::move(files), options, sink);
}

}  // namespace phantom::plc
