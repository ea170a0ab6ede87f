// A test fixture with its own scratch directory and a Phantom program compiled into classes/ there
// (test support). The directory is removed after a passing test and kept, with a line saying where,
// after a failing one.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "support/shell_command.h"

namespace phantom::test {

inline std::string read_whole_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class ProgramTest : public ::testing::Test {
 protected:
  // Call from SetUp (inside ASSERT_NO_FATAL_FAILURE): makes `dir_` and compiles `program` with `phantom`.
  void compile_program(const std::string& dir_prefix, const std::string& phantom, const std::string& program) {
    dir_ = std::filesystem::temp_directory_path() /
           (dir_prefix + std::to_string(::getpid()) + "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "classes");
    auto compiled = run_shell(phantom + " compile " + program + " -o " + (dir_ / "classes").string() + " 2>&1");
    ASSERT_EQ(compiled.status, 0) << compiled.out;
  }
  void TearDown() override {
    if (dir_.empty()) return;
    if (!HasFailure()) std::filesystem::remove_all(dir_);
    else std::fprintf(stderr, "kept %s for inspection\n", dir_.c_str());
  }
  std::filesystem::path dir_;
};

}  // namespace phantom::test
