// json_fuzzer: arbitrary bytes through string.parseJson's parser (vm/json_natives.h) in a small world
// (fuzz). Whatever the bytes, the parser must answer with a tree or an error message, never a host
// crash or a deep recursion (ASan, UBSan). When it answers with a tree, the tree must say what
// nlohmann-json's own reading of the text says (the oracle): same kinds, same strings, same numbers.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "classfile/class_writer.h"
#include "fuzz_world.h"
#include "vm/json_natives.h"
#include "vm/vm.h"

using namespace phantom;

namespace {

using fuzz::QuietConsole;
using fuzz::FixedClock;

constexpr std::size_t arena_bytes = 16u << 20;

// Whether object `r` is what `j` says.
bool same(vm::Vm& m, vm::Ref r, const nlohmann::json& j) {
  using T = nlohmann::json::value_t;
  auto number = [&](double want) {
    double got;
    if (m.is_int(r)) got = m.int_of(r);
    else if (m.is_a(r, vm::cid_long)) { std::int64_t v; std::memcpy(&v, m.heap().data(r), 8); got = static_cast<double>(v); }
    else if (m.is_a(r, vm::cid_double)) std::memcpy(&got, m.heap().data(r), 8);
    else return false;
    return got == want || (std::isnan(got) && std::isnan(want));
  };
  switch (j.type()) {
    case T::null: return r == m.null_object();
    case T::boolean: return m.is_int(r) && m.int_of(r) == (j.get<bool>() ? 1 : 0);
    case T::number_integer:
      if (m.is_int(r) != (j.get<std::int64_t>() == static_cast<std::int32_t>(j.get<std::int64_t>()))) return false;
      return number(static_cast<double>(j.get<std::int64_t>()));
    case T::number_unsigned: return number(static_cast<double>(j.get<std::uint64_t>()));
    case T::number_float: return m.is_a(r, vm::cid_double) && number(j.get<double>());
    case T::string: return m.is_a(r, vm::cid_string) && m.string_of(r) == j.get_ref<const std::string&>();
    case T::array: {
      if (!m.is_a(r, vm::cid_array) || m.array_size(r) != j.size()) return false;
      for (std::uint32_t i = 0; i < j.size(); ++i)
        if (!same(m, m.array_get(r, i), j[i])) return false;
      return true;
    }
    case T::object: {
      if (!m.is_a(r, vm::cid_directory) || m.heap().as<vm::DirectoryData>(r)->count != j.size()) return false;
      for (auto it = j.begin(); it != j.end(); ++it) {
        vm::Ref v = m.dir_get(r, it.key());
        if (v == vm::raw_null || !same(m, v, it.value())) return false;
      }
      return true;
    }
    default: return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static std::byte* arena = static_cast<std::byte*>(std::calloc(arena_bytes, 1));
  static std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("phantom-json-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    classfile::ClassFile file;  // a boot class whose method 8 just returns
    file.header = {".f.boot", 4, 18, ".internal.object", std::nullopt};
    file.methods.push_back({"run", 8, {}});
    auto bytes = classfile::write_class_file(file);
    std::ofstream(d / "f.boot.pc", std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return d;
  }();
  vm::Heap heap(arena, arena_bytes);
  heap.format();
  QuietConsole console;
  FixedClock clock;
  vm::VmOptions options;
  options.class_path = {dir.string()};
  options.boot_class = ".f.boot";
  vm::Vm machine(heap, clock, console, options);
  if (!machine.boot().ok()) std::abort();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string error;
  vm::Ref tree;
  try {
    tree = vm::parse_json(machine, text, error);
  } catch (const vm::OutOfMemory&) {
    return 0;  // the arena is small; the native would collect and run again
  }
  auto oracle = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (tree == vm::raw_null) {
    if (error.empty()) std::abort();  // a failure must say why
    // Refused: either malformed (the oracle agrees) or nested too deep.
    if (!oracle.is_discarded() && error.find("nesting deeper") == std::string::npos) std::abort();
    return 0;
  }
  if (oracle.is_discarded() || !same(machine, tree, oracle)) std::abort();
  return 0;
}
