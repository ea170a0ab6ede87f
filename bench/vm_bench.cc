// vm_bench: the PVM against Lua 5.4 and LuaJIT 2.1's interpreter (`luajit -joff`, no JIT) on the same
// algorithms (design.md "Benchmark output"):
// recursive fib, a nested integer loop, string building, a hash map, virtual method calls; and the
// collector's pauses with 100 MiB and 1 GiB of live objects (gc.pause).
// Each PVM program is written in the Phantom language and compiled by our compiler, run on an
// in-memory world, and timed from boot to the end of its last thread; each Lua
// program times itself with os.clock. One JSON line per
// algorithm: {"bench":"interp.fib","n":30,"phantom_ms":...,"lua_ms":...,"ratio_to_lua":...,
// "luajit_ms":...,"ratio_to_luajit":...}. None of the programs uses bit operations, which are library
// calls in LuaJIT and would make its interpreter look slow.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "classfile/assembler.h"
#include "classfile/class_writer.h"
#include "plc/compiler.h"
#include "vm/vm.h"
#include "bench_figures.h"

namespace {

using namespace phantom;


struct Case {
  const char* name;
  int n;
  std::string pvm;  // boot class .b.boot; prints its result
  std::string lua;  // prints "<ms> <result>"
};

// A world in plain memory with one assembled boot class, .b.boot, ready to boot and run.
class BenchWorld {
 public:
  BenchWorld(const std::string& source, std::size_t arena_bytes)
      : dir_(std::filesystem::temp_directory_path() / ("phantom-bench-" + std::to_string(::getpid()))),
        memory_(static_cast<std::byte*>(std::calloc(arena_bytes, 1)), &std::free),
        heap_(memory_.get(), arena_bytes) {
    std::filesystem::create_directories(dir_);
    if (source.starts_with("package")) {
      // A program in the Phantom language, compiled by our compiler as a user's would be.
      if (!compile(source)) return;
    } else {
      auto file = classfile::assemble(source, "bench.pa");
      if (!file.ok()) {
        std::fprintf(stderr, "vm_bench: %s\n", file.error().message.c_str());
        return;
      }
      auto bytes = classfile::write_class_file(*file);
      std::ofstream(dir_ / "b.boot.pc", std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    }
    heap_.format();
    vm::VmOptions options;
    options.class_path = {dir_.string()};
    options.boot_class = ".b.boot";
    machine_ = std::make_unique<vm::Vm>(heap_, clock_, console_, options);
  }
  ~BenchWorld() { std::filesystem::remove_all(dir_); }
  // Boots and runs until every thread has ended; false on any failure.
  bool run() {
    if (!machine_) return false;
    if (auto booted = machine_->boot(); !booted.ok()) {
      std::fprintf(stderr, "vm_bench: %s\n", booted.error().message.c_str());
      return false;
    }
    return machine_->run().exit_code == 0;
  }
  vm::Vm& machine() { return *machine_; }
  const std::string& output() const { return console_.out; }

 private:
  // The library's declarations, compiled once per process for every program.
  static const std::string& library() {
    static const std::string dir = [] {
      auto lib = std::filesystem::temp_directory_path() / ("phantom-bench-lib-" + std::to_string(::getpid()));
      std::filesystem::create_directories(lib);
      plc::CompileOptions options;
      for (const auto& e : std::filesystem::directory_iterator(PLIB_INTERNAL_DIR)) options.files.push_back(e.path().string());
      options.out_dir = lib.string();
      plc::CompileResult r = plc::compile(options);
      if (r.errors) std::fprintf(stderr, "vm_bench: %s", r.diagnostics.c_str());
      std::atexit([] { std::filesystem::remove_all(std::filesystem::temp_directory_path() /
                                                   ("phantom-bench-lib-" + std::to_string(::getpid()))); });
      return lib.string();
    }();
    return dir;
  }
  bool compile(const std::string& source) {
    std::ofstream(dir_ / "bench.ph") << source;
    plc::CompileOptions program;
    program.files = {(dir_ / "bench.ph").string()};
    program.out_dir = dir_.string();
    program.class_path = {library()};
    plc::CompileResult r = plc::compile(program);
    if (r.errors) std::fprintf(stderr, "vm_bench: %s", r.diagnostics.c_str());
    return r.errors == 0;
  }

  std::filesystem::path dir_;
  std::unique_ptr<std::byte, decltype(&std::free)> memory_;
  vm::Heap heap_;
  bench::CapturedConsole console_;
  bench::SteadyClock clock_;
  std::unique_ptr<vm::Vm> machine_;
};

// Runs the PVM program; returns ms from boot to the end of its last thread, or -1 on failure.
double run_pvm(const Case& c, std::string& result) {
  BenchWorld world(c.pvm, 512u << 20);
  auto began = std::chrono::steady_clock::now();
  bool ok = world.run();
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - began).count();
  result = world.output();
  return ok ? ms : -1;
}

// Runs the case's Lua program with `interpreter` (a command line); returns the ms it printed, or -1.
double run_lua(const Case& c, const std::string& interpreter, std::string& result) {
  auto path = std::filesystem::temp_directory_path() / ("phantom-bench-" + std::to_string(::getpid()) + ".lua");
  std::ofstream(path) << c.lua;
  std::string command = interpreter + " " + path.string() + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return -1;
  char buffer[256] = {};
  std::string out;
  while (std::fgets(buffer, sizeof buffer, pipe)) out += buffer;
  int status = ::pclose(pipe);
  std::filesystem::remove(path);
  double ms = -1;
  char text[128] = {};
  if (status != 0 || std::sscanf(out.c_str(), "%lf %127s", &ms, text) != 2) {
    std::fprintf(stderr, "vm_bench: %s failed for %s: %s\n", interpreter.c_str(), c.name, out.c_str());
    return -1;
  }
  result = text;
  return ms;
}

// The programs are written in the Phantom language and compiled by our compiler, so the figures are
// those of the code users' programs run.
std::vector<Case> cases() {
  std::vector<Case> all;
  all.push_back({"fib", 30, R"(package .b;
class boot
{
    void run(var boot : .internal.bootstrap) [8] { boot.consolePrint(fib(30)); }
    int fib(var n : int) { if (n < 2) return n; return fib(n - 1) + fib(n - 2); }
};
)",
                 "local function fib(n) if n < 2 then return n end return fib(n-1) + fib(n-2) end\n"
                 "local t = os.clock() local r = fib(30) print((os.clock() - t) * 1000, r)\n"});
  all.push_back({"loop", 3000, R"(package .b;
class boot
{
    void run(var boot : .internal.bootstrap) [8]
    {
        var i : int;
        var j : int;
        var s : int;
        i = 3000;
        s = 0;
        while (i > 0)
        {
            j = 3000;
            while (j > 0) { s = (s + i * j) % 1000000007; j = j - 1; }
            i = i - 1;
        }
        boot.consolePrint(s);
    }
};
)",
                 "local t = os.clock() local s = 0\n"
                 "for i = 3000, 1, -1 do for j = 3000, 1, -1 do s = (s + i * j) % 1000000007 end end\n"
                 "print((os.clock() - t) * 1000, s)\n"});
  all.push_back({"calls", 3000000, R"(package .b;
class boot
{
    void run(var boot : .internal.bootstrap) [8]
    {
        var c : counter;
        var i : int;
        var x : int;
        c = new counter();
        i = 0;
        x = 0;
        while (i < 3000000) { x = c.step(x); i = i + 1; }
        boot.consolePrint(x);
    }
};
class counter
{
    int step(var x : int) { return x + 1; }
};
)",
                 "local O = {} O.__index = O function O:step(x) return x + 1 end\n"
                 "local o = setmetatable({}, O) local t = os.clock() local x = 0\n"
                 "for i = 1, 3000000 do x = o:step(x) end print((os.clock() - t) * 1000, x)\n"});
  all.push_back({"strings", 20000, R"(package .b;
class boot
{
    void run(var boot : .internal.bootstrap) [8]
    {
        var s : string;
        var i : int;
        s = "";
        i = 0;
        while (i < 20000) { s = s.concat("x"); i = i + 1; }
        boot.consolePrint(s.length());
    }
};
)",
                 "local t = os.clock() local s = ''\n"
                 "for i = 1, 20000 do s = s .. 'x' end print((os.clock() - t) * 1000, #s)\n"});
  all.push_back({"map", 60000, R"(package .b;
class boot
{
    void run(var boot : .internal.bootstrap) [8]
    {
        var d : .internal.directory;
        var i : int;
        var sum : int;
        d = new .internal.directory();
        i = 60000;
        while (i > 0) { d.put("k" + i, i); i = i - 1; }
        sum = 0;
        i = 60000;
        while (i > 0) { sum = sum + (int) d.get("k" + i); i = i - 1; }
        boot.consolePrint(sum);
    }
};
)",
                 "local t = os.clock() local m = {}\n"
                 "for i = 60000, 1, -1 do m['k' .. i] = i end\n"
                 "local s = 0 for i = 60000, 1, -1 do s = s + m['k' .. i] end\n"
                 "print((os.clock() - t) * 1000, s)\n"});
  return all;
}

// About 100 MiB of live strings held by one array (kept alive through root slot 70), then full
// collections of that heap, timed one by one.
// gc.pause: the pauses of the incremental collector (vm/gc.cc) while a program keeps `live_mib` of
// strings alive and replaces them at random, so that collections run with the mutator between their
// steps. Every step is one pause: p50/p99/max over all steps of the run. `stw_ms` is one whole
// collection at once of the same heap (collect_garbage), the pause a stop-the-world collector takes.
void bench_gc_pause(int live_mib) {
  // A string of 80 characters takes 112 bytes with its header: count strings make live_mib.
  const long count = static_cast<long>(live_mib) * 1048576 / 112;
  const long churn = count * 3;  // about three heaps' worth of garbage: several cycles
  std::string source = R"(package .b;
class boot
{
    void run(var boot : .internal.bootstrap) [8]
    {
        var keep : string[];
        var i : int;
        var seed : int;
        keep = new string[]();
        keep[)" + std::to_string(count - 1) + R"(] = "";  // the array's page at its full size at once
        boot.setOsInterface(keep);  // root slot 70: still live for the whole collection after the run
        i = 0;
        while (i < )" + std::to_string(count) + R"()
        {
            keep[i] = "01234567890123456789012345678901234567890123456789012345678901234567" + (1000000000 + i);
            i = i + 1;
        }
        seed = 1;
        i = 0;
        while (i < )" + std::to_string(churn) + R"()
        {
            seed = (seed * 1103515245 + 12345) & 2147483647;
            keep[seed % )" + std::to_string(count) + R"(] = "01234567890123456789012345678901234567890123456789012345678901234567" + (1000000000 + i);
            i = i + 1;
        }
        boot.consolePrint(keep.size());
    }
};
)";
  // Room for the live strings, the garbage between collections and the growth of the array.
  BenchWorld world(source, (static_cast<std::size_t>(live_mib) * 4 + 1024) << 20);
  std::vector<double> steps;
  world.machine().set_gc_step_observer([&](std::uint64_t ns) { steps.push_back(ns / 1e6); });
  if (!world.run()) {
    std::fprintf(stderr, "vm_bench: gc.pause %d MiB: the program failed: %s\n", live_mib, world.output().c_str());
    return;
  }
  vm::GcStats stats = world.machine().gc_stats();
  vm::GcReport full = world.machine().collect_garbage();
  std::sort(steps.begin(), steps.end());
  auto at = [&](double q) { return steps.empty() ? 0.0 : steps[std::min(steps.size() - 1, static_cast<std::size_t>(q * steps.size()))]; };
  std::printf("{\"bench\":\"gc.pause\",\"live_mib\":%.0f,\"live_objects\":%llu,\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,"
              "\"samples\":%zu,\"cycles\":%llu,\"stw_ms\":%.1f,\"step_us\":%u,\"target_max_ms\":1}\n",
              full.live_bytes / 1048576.0, static_cast<unsigned long long>(full.live_objects), at(0.5), at(0.99),
              steps.empty() ? 0.0 : steps.back(), steps.size(), static_cast<unsigned long long>(stats.cycles), full.ns / 1e6,
              vm::VmOptions{}.gc_step_us);
}

}  // namespace

int main(int argc, char** argv) {
  std::string only = argc > 2 && std::string(argv[1]) == "--only" ? argv[2] : "";
  int failures = 0;
  for (const Case& c : cases()) {
    if (!only.empty() && only != c.name) continue;
    // Five runs of each, alternating. Timings on this machine wander by tens of percent, and a
    // disturbance only ever adds time, so the figures are each side's fastest run; the ratio of the
    // medians is printed beside it.
    std::string pvm_result, lua_result, luajit_result;
    std::vector<double> pvm_runs, lua_runs, luajit_runs;
    for (int i = 0; i < 5; ++i) {
      pvm_runs.push_back(run_pvm(c, pvm_result));
      lua_runs.push_back(run_lua(c, "lua5.4", lua_result));
      luajit_runs.push_back(run_lua(c, "luajit -joff", luajit_result));
    }
    std::sort(pvm_runs.begin(), pvm_runs.end());
    std::sort(lua_runs.begin(), lua_runs.end());
    std::sort(luajit_runs.begin(), luajit_runs.end());
    double pvm_ms = pvm_runs.front() < 0 ? -1 : pvm_runs.front();
    double lua_ms = lua_runs.front() < 0 ? -1 : lua_runs.front();
    double luajit_ms = luajit_runs.front() < 0 ? -1 : luajit_runs.front();
    double median_ratio = pvm_runs[2] / lua_runs[2];
    if (pvm_ms < 0 || lua_ms < 0 || luajit_ms < 0) {
      ++failures;
      continue;
    }
    if (pvm_result != lua_result || pvm_result != luajit_result) {
      std::fprintf(stderr, "vm_bench: %s: phantom computed %s, lua %s, luajit %s\n", c.name, pvm_result.c_str(),
                   lua_result.c_str(), luajit_result.c_str());
      ++failures;
    }
    std::printf("{\"bench\":\"interp.%s\",\"n\":%d,\"phantom_ms\":%.1f,\"lua_ms\":%.1f,\"ratio_to_lua\":%.2f,"
                "\"ratio_of_medians\":%.2f,\"luajit_ms\":%.1f,\"ratio_to_luajit\":%.2f,"
                "\"luajit_ratio_of_medians\":%.2f}\n",
                c.name, c.n, pvm_ms, lua_ms, pvm_ms / lua_ms, median_ratio, luajit_ms, pvm_ms / luajit_ms,
                pvm_runs[2] / luajit_runs[2]);
    std::fflush(stdout);
  }
  if (only.empty() || only == "gc") {
    bench_gc_pause(100);
    bench_gc_pause(1024);
  }
  return failures ? 1 : 0;
}
