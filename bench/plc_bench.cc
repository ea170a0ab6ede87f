// plc_bench: compile throughput of the Phantom language compiler (design.md "Benchmark output").
// Generates a large source set of ordinary code (fields, loops, arithmetic, string building, calls,
// exceptions), compiles it in one run into class files, and prints
// {"bench":"plc.throughput","lines":...,"lines_per_s":...}. Each figure is the median of three runs.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "plc/compiler.h"

namespace fs = std::filesystem;

namespace {

std::string method(int c, int m) {
  return fmt::format(R"(    int work{1}(var n : int, var s : string)
    {{
        var i : int;
        var total : int;
        var text : string;
        i = 0;
        total = 0;
        text = s;
        while (i < n)
        {{
            if (i % 3 == 0) total = total + i * {0};
            else total = total - (i & 7);
            switch (i % 4)
            {{
            case 0: text = text + "a"; break;
            case 1: text = text + i; break;
            default: total = total + helper{0}(i);
            }}
            i = i + 1;
        }}
        try {{ total = total / (n - {1}); }}
        catch (string e) {{ total = 0; }}
        count = count + 1;
        return total + text.length();
    }}

)",
                     c, m);
}

// Writes `classes` files of `methods` methods each; returns the total line count.
std::size_t generate(const fs::path& dir, int classes, int methods, std::vector<std::string>& files) {
  std::size_t lines = 0;
  for (int c = 0; c < classes; ++c) {
    std::string text = fmt::format("package .bench;\n\nclass gen{0}\n{{\n    var count : int;\n\n"
                                   "    int helper{0}(var x : int) {{ return x * 2 + {0}; }}\n\n", c);
    for (int m = 0; m < methods; ++m) text += method(c, m);
    text += "};\n";
    lines += static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
    fs::path p = dir / fmt::format("gen{}.ph", c);
    std::ofstream(p) << text;
    files.push_back(p.string());
  }
  return lines;
}

}  // namespace

int main() {
  fs::path dir = fs::temp_directory_path() / ("plc-bench-" + std::to_string(::getpid()));
  fs::create_directories(dir / "src");
  fs::create_directories(dir / "lib");
  fs::create_directories(dir / "out");
  phantom::plc::CompileOptions lib;
  for (const auto& e : fs::directory_iterator(PLIB_INTERNAL_DIR)) lib.files.push_back(e.path().string());
  lib.out_dir = (dir / "lib").string();
  if (phantom::plc::compile(lib).errors) {
    std::fprintf(stderr, "plc_bench: the library declarations do not compile\n");
    return 1;
  }
  std::vector<std::string> files;
  std::size_t lines = generate(dir / "src", 100, 40, files);
  std::vector<double> rates;
  for (int run = 0; run < 3; ++run) {
    phantom::plc::CompileOptions options;
    options.files = files;
    options.out_dir = (dir / "out").string();
    options.class_path = {(dir / "lib").string()};
    auto start = std::chrono::steady_clock::now();
    phantom::plc::CompileResult r = phantom::plc::compile(options);
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (r.errors) {
      std::fprintf(stderr, "plc_bench: the generated source does not compile:\n%s", r.diagnostics.substr(0, 2000).c_str());
      return 1;
    }
    rates.push_back(static_cast<double>(lines) / seconds);
  }
  std::sort(rates.begin(), rates.end());
  fmt::print("{{\"bench\":\"plc.throughput\",\"lines\":{},\"files\":{},\"lines_per_s\":{:.0f},\"target_lines_per_s\":100000,"
             "\"ratio_to_target\":{:.2f}}}\n",
             lines, files.size(), rates[1], rates[1] / 100000.0);
  fs::remove_all(dir);
  return 0;
}
