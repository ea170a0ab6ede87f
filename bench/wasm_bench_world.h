// WasmBenchWorld: a world on a real store (an image file, its write tracking and snapshots), booted and
// left idle, with a WebAssembly Engine over its arena that wasm_bench drives from its own thread, as a
// test does with the world not running (runtime.h "Threads"). Any failure ends the bench loudly.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "bench_figures.h"
#include "store/store.h"
#include "support/assembled_class.h"
#include "vm/heap.h"
#include "vm/vm.h"
#include "wasm/runtime.h"
#include "wasm/wasi.h"

namespace phantom::bench {

[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "wasm_bench: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
T take(Result<T> r, const char* what) {
  if (!r.ok()) fail(std::string(what) + ": " + r.error().message);
  return std::move(r).value();
}

inline std::vector<std::uint8_t> read_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail("cannot read " + file.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Nothing else writes to the arena while the bench thread takes a snapshot between calls, so the
// snapshot has nothing to stop.
struct BenchThreadOnly final : store::WorldControl {
  void stop() override {}
  void resume() override {}
};

class WasmBenchWorld {
 public:
  WasmBenchWorld(host::Env& env, const std::filesystem::path& dir, std::uint64_t arena_mib) {
    std::filesystem::create_directories(dir / "classes");
    // A boot class that returns at once: the VM's world is built, and then the bench thread owns it.
    std::string problem = test::write_assembled_class(dir / "classes", ".class .b.boot\n.method run 8\n  arg_count 1\n  summon_null\n  ret\n.end\n");
    if (!problem.empty()) fail("boot class: " + problem);
    std::string image = (dir / "wasm-bench.img").string();
    std::filesystem::remove(image);
    store::CreateOptions create;
    create.arena_size = arena_mib << 20;
    store_ = take(store::Store::open_or_create(env, image, create, {}), "store");
    heap_ = std::make_unique<vm::Heap>(store_->arena().base(), store_->arena().size());
    heap_->format();
    vm::VmOptions options;
    options.class_path = {(dir / "classes").string()};
    options.boot_class = ".b.boot";
    vm_ = std::make_unique<vm::Vm>(*heap_, env.clock(), console_, options);
    if (auto booted = vm_->boot(); !booted.ok()) fail("boot: " + booted.error().message);
    if (vm_->run().exit_code != 0) fail("the boot class failed");
    engine_ = std::make_unique<wasm::Engine>(*vm_);
    engine_->add_host_module(wasm::wasi_module(wasi_));
  }

  wasm::Engine& engine() { return *engine_; }

  // An instance of `module` in a store of its own, its reactor initialised (_initialize, when the
  // module has one).
  vm::Ref instantiate(std::span<const std::uint8_t> module) {
    vm::Ref store = engine_->new_store();
    vm::Ref loaded = take(engine_->load_module(store, module), "load_module");
    vm::Ref instance = take(engine_->instantiate(store, loaded), "instantiate");
    if (engine_->find_export(instance, "_initialize")) call(instance, "_initialize", {});
    return instance;
  }

  // Runs export `name` to its end with one large fuel budget (one slice: no safepoint stops it), and
  // returns its first result's bits (0 for none).
  std::uint64_t call(vm::Ref instance, const char* name, std::vector<std::uint32_t> args) {
    auto target = engine_->find_export(instance, name);
    if (!target) fail(std::string("no export ") + name);
    std::vector<wasm::Value> values;
    for (std::uint32_t a : args) values.push_back({wasm::ValueType::i32, a});
    vm::Ref c = take(engine_->begin_call(instance, target->index, values), name);
    wasm::CallOutcome out;
    do out = engine_->run(c, std::uint64_t(1) << 50);
    while (out.status == wasm::CallOutcome::yielded);
    if (out.status != wasm::CallOutcome::finished) fail(std::string(name) + " did not finish: " + out.trap);
    return out.results.empty() ? 0 : out.results[0].bits;
  }

  store::SnapshotReport snapshot() {
    BenchThreadOnly control;
    return take(store_->snapshot(control), "snapshot");
  }

 private:
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<vm::Heap> heap_;
  CapturedConsole console_;
  std::unique_ptr<vm::Vm> vm_;
  wasm::WasiContext wasi_{wasm::WasiOptions{}};
  std::unique_ptr<wasm::Engine> engine_;
};

}  // namespace phantom::bench
