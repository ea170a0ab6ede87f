// libFuzzer target: arbitrary bytes as a WebAssembly module, loaded, instantiated and run (wasm/runtime.h)
// in a small arena. Every exported function is called with zero arguments for a bounded amount of fuel,
// in slices, as a VM thread would run it. Whatever the module does, the engine must answer with a load
// or link error, a result, a trap or an exhausted budget: never a host crash, an access outside the
// linear memory (ASan), undefined behaviour (UBSan) or a host-stack overflow from deep guest recursion.
// No host module is added, so a module that imports functions fails to link: WASI and the guest ABI are
// covered by their tests (tests/wasm/).
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <span>

#include "classfile/class_writer.h"
#include "fuzz_world.h"
#include "classfile/opcodes.h"
#include "vm/vm.h"
#include "wasm/runtime.h"

using namespace phantom;

namespace {

using fuzz::QuietConsole;
using fuzz::FixedClock;

constexpr std::size_t arena_bytes = 96u << 20;
constexpr std::uint64_t fuel_per_slice = 2'000;
constexpr int slices_per_call = 20;

// The world needs a boot class to boot; it never runs (the engine runs on this thread directly).
std::filesystem::path boot_class_dir() {
  auto dir = std::filesystem::temp_directory_path() / ("phantom-wasm-fuzz-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  classfile::ClassFile file;
  file.header = {".f.boot", 4, 18, ".internal.object", std::nullopt};
  file.methods.push_back({"run", 8, std::vector<std::uint8_t>{classfile::op_summon_null, classfile::op_ret}});
  auto bytes = classfile::write_class_file(file);
  std::ofstream(dir / "f.boot.pc", std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return dir;
}

void run_bounded(wasm::Engine& engine, vm::Ref call) {
  for (int i = 0; i < slices_per_call; ++i)
    if (engine.run(call, fuel_per_slice).status != wasm::CallOutcome::yielded) return;
}

void run_module(wasm::Engine& engine, std::span<const std::uint8_t> bytes) {
  vm::Ref store = engine.new_store();
  auto module = engine.load_module(store, bytes);
  if (!module.ok()) return;
  auto instance = engine.instantiate(store, *module);
  if (!instance.ok()) return;
  auto start = engine.begin_start(*instance);
  if (!start.ok()) return;
  if (*start != vm::raw_null) run_bounded(engine, *start);
  for (const wasm::Export& e : engine.decoded(*module).exports) {
    if (e.kind != wasm::ExternalKind::function) continue;
    const wasm::FuncType* type = engine.function_type(*instance, e.index);
    if (!type) std::abort();  // an exported function always has a type
    std::vector<wasm::Value> args;
    for (wasm::ValueType t : type->params) args.push_back({t, 0});
    auto call = engine.begin_call(*instance, e.index, args);
    if (!call.ok()) std::abort();  // the arguments match the type by construction
    run_bounded(engine, *call);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static std::byte* arena = static_cast<std::byte*>(std::calloc(arena_bytes, 1));
  static std::filesystem::path dir = boot_class_dir();
  vm::Heap heap(arena, arena_bytes);
  heap.format();
  QuietConsole console;
  FixedClock clock;
  vm::VmOptions options;
  options.class_path = {dir.string()};
  options.boot_class = ".f.boot";
  vm::Vm machine(heap, clock, console, options);
  if (!machine.boot().ok()) std::abort();
  // Small limits, so that a module asking for the most fits the arena and a run stays quick.
  wasm::EngineLimits limits;
  limits.memory_pages = 256;
  limits.table_elements = 100'000;
  limits.stack_cells = 1u << 14;
  limits.frames = 1'000;
  wasm::Engine engine(machine, limits);
  try {
    run_module(engine, {data, size});
  } catch (const vm::OutOfMemory&) {
    // The arena is full (no collector runs here); a world collects and runs the native again.
  }
  return 0;
}
