// vm_fuzzer: arbitrary bytecode through the loader's verifier and, when it passes, the interpreter
// (fuzz). The input is split into the code of two methods of one boot class (run [8] and m [16]); the
// world runs for a bounded number of slices in a small arena. Whatever the bytes, the VM must answer
// with a load error, a Phantom exception or a stopped thread, never a host crash (ASan, UBSan).
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "classfile/class_writer.h"
#include "fuzz_world.h"
#include "vm/vm.h"

using namespace phantom;

namespace {

using fuzz::QuietConsole;
using fuzz::FixedClock;

constexpr std::size_t arena_bytes = 8u << 20;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static std::byte* arena = static_cast<std::byte*>(std::calloc(arena_bytes, 1));
  static std::filesystem::path dir = [] {
    auto d = std::filesystem::temp_directory_path() / ("phantom-vm-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  if (size < 1) return 0;
  std::size_t first = std::min<std::size_t>(size - 1, std::size_t(data[0]) * 2);
  classfile::ClassFile file;
  file.header = {".f.boot", 4, 18, ".internal.object", std::nullopt};
  file.methods.push_back({"run", 8, std::vector<std::uint8_t>(data + 1, data + 1 + first)});
  file.methods.push_back({"m", 16, std::vector<std::uint8_t>(data + 1 + first, data + size)});
  file.constants.push_back({0, {false, ".internal.string", ""}, {'c'}});
  auto bytes = classfile::write_class_file(file);
  std::ofstream(dir / "f.boot.pc", std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));

  vm::Heap heap(arena, arena_bytes);
  heap.format();
  QuietConsole console;
  FixedClock clock;
  vm::VmOptions options;
  options.class_path = {dir.string()};
  options.boot_class = ".f.boot";
  options.slice_budget = 2000;
  options.slice_limit = 50;
  options.gc_min_bytes = 256u << 10;
  vm::Vm machine(heap, clock, console, options);
  if (!machine.boot().ok()) return 0;
  (void)machine.run();
  return 0;
}
