// Phantom programs with expected results, compiled and run by the real `phantom` binary (compiler tests).
// For every tests/programs/NAME.ph:
//   NAME.out   compile must succeed; `phantom run` of .test.program prints exactly this on stdout, exit 0
//   NAME.diag  compile must fail with exit 1; every line of the file appears in the compiler's stderr,
//              and no class file is left behind
//   NAME.err   (with .out) the run exits 1 and every line of the file appears in its stderr
//   NAME.flags (optional) more options for `phantom run`, on one line
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/shell_command.h"

namespace fs = std::filesystem;

namespace {

struct Outcome {
  int status = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

Outcome run(const std::string& command, const fs::path& dir) {
  fs::path err = dir / "stderr.txt";
  phantom::test::ShellResult r = phantom::test::run_shell(command + " 2>" + err.string() + " </dev/null");
  return Outcome{r.status, r.out, slurp(err)};
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream s(text);
  std::string line;
  while (std::getline(s, line))
    if (!line.empty()) out.push_back(line);
  return out;
}

std::vector<std::string> program_names() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(PROGRAMS_DIR))
    if (entry.path().extension() == ".ph") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

class Program : public ::testing::TestWithParam<std::string> {};

TEST_P(Program, CompilesAndRunsAsExpected) {
  const std::string name = GetParam();
  fs::path src = fs::path(PROGRAMS_DIR) / (name + ".ph");
  fs::path dir = fs::temp_directory_path() / ("phantom-prog-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(dir);
  fs::create_directories(dir / "classes");
  std::string phantom = std::string("timeout 120 ") + PHANTOM_BINARY;  // a hung program fails, never hangs the suite
  // The program's directory is the working directory, so `import "file"` finds its data files.
  std::string cd = "cd " + std::string(PROGRAMS_DIR) + " && ";
  Outcome compiled = run(cd + phantom + " compile -o " + (dir / "classes").string() + " " + src.string(), dir);
  fs::path diag = fs::path(PROGRAMS_DIR) / (name + ".diag");
  if (fs::exists(diag)) {
    EXPECT_EQ(compiled.status, 1) << compiled.err;
    for (const std::string& want : lines_of(slurp(diag))) EXPECT_NE(compiled.err.find(want), std::string::npos) << "missing diagnostic: " << want << "\n--- got:\n" << compiled.err;
    EXPECT_TRUE(fs::is_empty(dir / "classes")) << "a failed compile left class files";
    fs::remove_all(dir);
    return;
  }
  ASSERT_EQ(compiled.status, 0) << compiled.err;
  fs::path expected_out = fs::path(PROGRAMS_DIR) / (name + ".out");
  ASSERT_TRUE(fs::exists(expected_out)) << "no .out or .diag for " << name;
  fs::path flags_file = fs::path(PROGRAMS_DIR) / (name + ".flags");
  std::string flags = fs::exists(flags_file) ? " " + lines_of(slurp(flags_file)).at(0) : "";
  Outcome ran = run(phantom + " run --world " + (dir / "w.img").string() + " --arena-size 64M --boot .test.program --classpath " +
                        (dir / "classes").string() + flags,
                    dir);
  fs::path expected_err = fs::path(PROGRAMS_DIR) / (name + ".err");
  if (fs::exists(expected_err)) {
    EXPECT_EQ(ran.status, 1) << ran.err;
    for (const std::string& want : lines_of(slurp(expected_err))) EXPECT_NE(ran.err.find(want), std::string::npos) << "missing: " << want << "\n--- got:\n" << ran.err;
  } else {
    EXPECT_EQ(ran.status, 0) << ran.err;
  }
  EXPECT_EQ(ran.out, slurp(expected_out)) << ran.err;
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Programs, Program, ::testing::ValuesIn(program_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
