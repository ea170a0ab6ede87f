// wasm_bench: WebAssembly on Phantom's own interpreter (design.md "Benchmark output", issue 14):
//   wasm.<kernel>       n -> phantom_ms, native_ms, node_ms, ratio_to_native, ratio_to_node, result:
//                       the kernel's exported run(n), from the same C built with clang -O2 natively and
//                       to wasm32-wasi; Phantom's Engine calls it in this process (medians of `reps`
//                       calls, each one slice with a large fuel budget: no startup and no snapshots
//                       measured), native and Node (V8) in their own processes. The result must be the
//                       same in all three or the bench fails. The published anchors are fields:
//                       wasm3 about 12x native on CoreMark, WAMR classic and wabt about 100x; our
//                       target is 15x. Native is clang rather than cc (gcc) so that both sides share one
//                       optimiser and the ratio measures the engine, not the compiler.
//   wasm.geomean        -> ratio_to_native, ratio_to_node over the kernels
//   wasm.snapshot_cost  workload, memory_mib -> pages_per_snapshot (median), min_pages, max_pages,
//                       memory_pages, target_memory_pages, cleaned_pages (summed over the samples):
//                       the data pages a real store snapshot writes after nothing
//                       ("idle"), after a call that does nothing ("empty_call": the VM's call object,
//                       stack and frames), and after one that reads the 64 MiB linear memory (target 0
//                       beyond the empty call), writes 8 KiB of it (3: two pages and the one more that
//                       an unaligned start spans) or writes a word in every 64 bytes (16385: all 16384
//                       and that one more).
//                       memory_pages = min_pages - the empty call's: now and then the store's cleaner
//                       copies live pages forward in the same snapshot (cleaned_pages), so the least of
//                       the samples is the workload's own footprint.
// usage: wasm_bench [--only kernels|KERNEL|snapshot_cost] [--quick]
// (the .wasm files and native builds are in WASM_BENCH_DIR, made by bench/CMakeLists.txt)
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench_figures.h"
#include "host/env.h"
#include "wasm_bench_world.h"

namespace phantom::bench {
namespace {

namespace fs = std::filesystem;

const fs::path kernels_dir = WASM_BENCH_DIR;

struct Kernel {
  const char* name;
  std::uint32_t n;  // sized for about half a second on Phantom
};
const Kernel kernels[] = {{"fib", 35}, {"sieve", 10}, {"matmul", 300}, {"sha256", 800}, {"coremark_like", 12000}};

struct Timed {
  std::uint32_t result = 0;
  double ms = 0;
};

// Runs a harness that prints "<result> <median ms>" (native_main.c, wasm_bench.mjs).
Timed run_harness(const std::string& command) {
  Timed t;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) fail("cannot run " + command);
  int fields = std::fscanf(p, "%u %lf", &t.result, &t.ms);
  if (::pclose(p) != 0 || fields != 2) fail("failed: " + command);
  return t;
}

Timed run_phantom(WasmBenchWorld& world, vm::Ref instance, std::uint32_t n, int reps) {
  std::vector<double> ms;
  Timed t;
  for (int i = 0; i < reps; ++i) {
    std::int64_t begin = monotonic_us();
    t.result = static_cast<std::uint32_t>(world.call(instance, "run", {n}));
    ms.push_back(static_cast<double>(monotonic_us() - begin) / 1000);
  }
  t.ms = percentile(ms, 0.5);
  return t;
}

void bench_kernels(host::Env& env, const fs::path& dir, const std::string& only, int reps) {
  WasmBenchWorld world(env, dir / "kernels", 256);
  const char* node_binary = "/usr/bin/node";
  const bool have_node = fs::exists(node_binary);
  double log_native = 0, log_node = 0;
  int count = 0;
  for (const Kernel& k : kernels) {
    if (only != "kernels" && only != k.name) continue;
    ++count;
    std::fprintf(stderr, "wasm_bench: %s\n", k.name);
    fs::path wasm = kernels_dir / (std::string(k.name) + ".wasm");
    auto bytes = read_bytes(wasm);
    Timed phantom = run_phantom(world, world.instantiate(bytes), k.n, reps);
    Timed native = run_harness(fmt::format("{} {} {}", (kernels_dir / (std::string(k.name) + "_native")).string(), k.n, reps * 2 + 1));
    // Without Node the figures against it are null (Debian's nodejs, scripts/install-deps.sh).
    Timed node = have_node ? run_harness(fmt::format("{} {} {} {} {}", node_binary, WASM_BENCH_MJS, wasm.string(), k.n, reps * 2 + 1))
                           : native;
    if (phantom.result != native.result || node.result != native.result)
      fail(fmt::format("{}: results differ: phantom {}, native {}, node {}", k.name, phantom.result, native.result, node.result));
    log_native += std::log(phantom.ms / native.ms);
    log_node += std::log(phantom.ms / node.ms);
    std::string node_ms = have_node ? fmt::format("{:.2f}", node.ms) : "null";
    std::string to_node = have_node ? fmt::format("{:.1f}", phantom.ms / node.ms) : "null";
    fmt::print("{{\"bench\":\"wasm.{}\",\"n\":{},\"phantom_ms\":{:.1f},\"native_ms\":{:.2f},\"node_ms\":{},"
               "\"ratio_to_native\":{:.1f},\"ratio_to_node\":{},\"result\":{},\"reps\":{},\"target_ratio\":15,"
               "\"anchor_wasm3_ratio\":12,\"anchor_wamr_classic_ratio\":100,\"anchor_wabt_ratio\":100}}\n",
               k.name, k.n, phantom.ms, native.ms, node_ms, phantom.ms / native.ms, to_node, phantom.result, reps);
    std::fflush(stdout);
  }
  if (count == 0) fail("no kernel " + only);
  if (count < 2) return;
  std::string to_node = have_node ? fmt::format("{:.1f}", std::exp(log_node / count)) : "null";
  fmt::print("{{\"bench\":\"wasm.geomean\",\"kernels\":{},\"ratio_to_native\":{:.1f},\"ratio_to_node\":{},\"target_ratio\":15}}\n",
             count, std::exp(log_native / count), to_node);
  std::fflush(stdout);
}

void bench_snapshot_cost(host::Env& env, const fs::path& dir, int samples) {
  std::fprintf(stderr, "wasm_bench: snapshot_cost\n");
  WasmBenchWorld world(env, dir / "snapshots", 256);
  vm::Ref instance = world.instantiate(read_bytes(kernels_dir / "memory_touch.wasm"));
  // The memory, the module and the VM's world go into the first snapshots; the next ones hold only
  // what the calls write.
  world.snapshot();
  world.snapshot();
  struct Workload {
    const char* name;
    const char* function;  // nullptr: no call between the snapshots
    std::vector<std::uint32_t> args;  // 0 stands for the slice number
    int target_pages;      // in linear memory
  };
  const Workload workloads[] = {{"idle", nullptr, {}, 0},
                                {"empty_call", "nothing", {}, 0},
                                {"read_all", "read_all", {}, 0},
                                {"write_8k", "write_some", {0, 8}, 3},
                                {"write_all", "write_all", {0}, 16385}};
  std::uint32_t slice = 0;
  double call_pages = 0;
  for (const Workload& w : workloads) {
    std::vector<double> pages;
    std::uint64_t cleaned = 0;
    for (int i = 0; i < samples; ++i) {
      ++slice;
      std::vector<std::uint32_t> args = w.args;
      for (std::uint32_t& a : args) a = a ? a : slice;
      if (w.function) world.call(instance, w.function, args);
      store::SnapshotReport r = world.snapshot();
      pages.push_back(static_cast<double>(r.data_blocks));
      cleaned += r.cleaned_pages;
    }
    // The least pages of the samples are the workload's own: the cleaner adds pages to some snapshots.
    double median = percentile(pages, 0.5), least = percentile(pages, 0);
    if (std::strcmp(w.name, "empty_call") == 0) call_pages = least;
    fmt::print("{{\"bench\":\"wasm.snapshot_cost\",\"workload\":\"{}\",\"memory_mib\":64,\"pages_per_snapshot\":{},"
               "\"min_pages\":{},\"max_pages\":{},\"memory_pages\":{},\"target_memory_pages\":{},\"cleaned_pages\":{},\"samples\":{}}}\n",
               w.name, median, least, maximum(pages), w.function ? least - call_pages : 0, w.target_pages, cleaned, samples);
    std::fflush(stdout);
  }
}

}  // namespace
}  // namespace phantom::bench

int main(int argc, char** argv) {
  std::string only;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) quick = true;
    else if (std::strcmp(argv[i], "--only") == 0 && i + 1 < argc) only = argv[++i];
    else phantom::bench::fail("usage: wasm_bench [--only kernels|KERNEL|snapshot_cost] [--quick]");
  }
  auto env = phantom::host::make_host_env();
  auto dir = std::filesystem::temp_directory_path() / fmt::format("phantom-wasm-bench-{}", ::getpid());
  if (only != "snapshot_cost") phantom::bench::bench_kernels(*env, dir, only.empty() ? "kernels" : only, quick ? 1 : 3);
  if (only.empty() || only == "snapshot_cost") phantom::bench::bench_snapshot_cost(*env, dir, quick ? 2 : 5);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
