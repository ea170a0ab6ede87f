// phantom asm / phantom disasm: the text form of class files (command line layer, docs/assembler.md).
#include <fstream>
#include <iostream>
#include <sstream>

#include "classfile/assembler.h"
#include "classfile/class_reader.h"
#include "classfile/class_writer.h"
#include "cli/cli_common.h"

namespace phantom::cli {
namespace {

struct AsmOptions {
  std::vector<std::string> inputs;
  std::string out_dir = ".";
};

int assemble_files(const AsmOptions& options) {
  int failures = 0;
  for (const std::string& input : options.inputs) {
    std::ifstream in(input, std::ios::binary);
    if (!in) {
      fmt::print(stderr, "phantom: {}: cannot open\n", input);
      ++failures;
      continue;
    }
    std::stringstream text;
    text << in.rdbuf();
    auto file = classfile::assemble(text.str(), input);
    if (!file.ok()) {
      fmt::print(stderr, "phantom: {}\n", file.error().message);
      ++failures;
      continue;
    }
    std::string name = file->header.name.starts_with('.') ? file->header.name.substr(1) : file->header.name;
    std::string path = options.out_dir + "/" + name + ".pc";
    std::string temp = path + ".tmp";
    std::vector<std::uint8_t> bytes = classfile::write_class_file(*file);
    {
      std::ofstream out(temp, std::ios::binary | std::ios::trunc);
      out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
      if (!out) {
        fmt::print(stderr, "phantom: {}: cannot write\n", temp);
        ++failures;
        continue;
      }
    }
    if (std::rename(temp.c_str(), path.c_str()) != 0) {  // never a partial class file under the real name
      fmt::print(stderr, "phantom: {}: cannot rename into place\n", path);
      ++failures;
    }
  }
  return failures ? exit_failure : exit_ok;
}

int disassemble_files(const std::vector<std::string>& inputs) {
  int failures = 0;
  for (const std::string& input : inputs) {
    std::ifstream in(input, std::ios::binary);
    std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in && !in.eof()) {
      fmt::print(stderr, "phantom: {}: cannot open\n", input);
      ++failures;
      continue;
    }
    auto file = classfile::read_class_file(bytes, input);
    if (!file.ok()) {
      fmt::print(stderr, "phantom: {}\n", file.error().message);
      ++failures;
      continue;
    }
    auto text = classfile::disassemble(*file);
    if (!text.ok()) {
      fmt::print(stderr, "phantom: {}\n", text.error().message);
      ++failures;
      continue;
    }
    fmt::print("; {}\n{}", input, *text);
  }
  return failures ? exit_failure : exit_ok;
}

}  // namespace

void add_asm_commands(CLI::App& app) {
  auto options = std::make_shared<AsmOptions>();
  CLI::App* as = app.add_subcommand("asm", "Assemble class files from their text form (.pa) into .pc files");
  as->add_option("files", options->inputs, "assembler sources")->required()->check(CLI::ExistingFile);
  as->add_option("-o,--output", options->out_dir, "directory for the class files")->check(CLI::ExistingDirectory)->capture_default_str();
  as->callback([options] { std::exit(assemble_files(*options)); });

  auto inputs = std::make_shared<std::vector<std::string>>();
  CLI::App* dis = app.add_subcommand("disasm", "Print class files in the assembler's text form");
  dis->add_option("files", *inputs, "class files (.pc)")->required()->check(CLI::ExistingFile);
  dis->callback([inputs] { std::exit(disassemble_files(*inputs)); });
}

}  // namespace phantom::cli
