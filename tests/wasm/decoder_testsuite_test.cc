// The decoder against the official WebAssembly test suite (../shared/wasm-testsuite, see PINNED.md):
// binary.wast, binary-leb128.wast and custom.wast are converted with wabt's wast2json at test time; every
// module they expect to load must decode, and every assert_malformed binary module must be rejected,
// except the few whose defect lies inside a function body's instructions (listed below with the reason:
// the instruction decoder of the validator will catch them).
#include <gtest/gtest.h>

#include <iostream>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "wasm/decoder.h"
#include "wast_script.h"

namespace phantom::wasm {
namespace {

// assert_malformed modules (file:line of the assertion) that only an instruction decoder can reject.
const std::set<std::string> expected_later = {
    // a reserved byte after memory.grow / memory.size, in a function body: "zero byte expected"
    "binary:812", "binary:832", "binary:852", "binary:871", "binary:890",
    "binary:910", "binary:929", "binary:948", "binary:966", "binary:984",
    // memory.init / data.drop in a body without a data count section: "data count section required"
    "binary:1160", "binary:1182",
    // a br_table whose operands run into the next instructions: "unexpected end"
    "binary:1772",
    // a memarg (alignment or offset of a load or store) with a LEB128 too long or too large
    "binary:438", "binary:457", "binary:476", "binary:495", "binary:575", "binary:594",
    "binary:613", "binary:631", "binary:650", "binary:669", "binary:688", "binary:707",
    "binary-leb128:405", "binary-leb128:424", "binary-leb128:443", "binary-leb128:462",
    "binary-leb128:731", "binary-leb128:750", "binary-leb128:769", "binary-leb128:787",
    "binary-leb128:806", "binary-leb128:825", "binary-leb128:844", "binary-leb128:863",
    // a 0xfc-prefixed opcode whose sub-opcode LEB128 is too long
    "binary-leb128:988",
};

struct Tally {
  int modules = 0, modules_decoded = 0;
  int malformed = 0, malformed_rejected = 0, malformed_expected_later = 0;
  std::vector<std::string> problems;
};

void check_command(const nlohmann::json& command, const test::WastScript& script, Tally& tally) {
  const std::string& file = script.name();
  const std::string type = command.value("type", "");
  const bool is_module = type == "module";
  const bool is_malformed = type == "assert_malformed" && command.value("module_type", "") == "binary";
  if (!is_module && !is_malformed) return;
  const std::string where = file + ":" + std::to_string(command.value("line", 0));
  const std::optional<std::vector<std::uint8_t>> bytes = script.module_bytes(command.value("filename", ""));
  if (!bytes) {
    tally.problems.push_back(where + ": cannot read module file " + command.value("filename", ""));
    return;
  }
  Result<Module> result = decode_module(*bytes);
  const bool decoded = result.ok();
  if (is_module) {
    ++tally.modules;
    tally.modules_decoded += decoded;
    if (!decoded) tally.problems.push_back(where + ": a valid module was rejected: " + result.error().message);
    return;
  }
  ++tally.malformed;
  if (expected_later.count(where) != 0) {
    ++tally.malformed_expected_later;
    if (!decoded) tally.problems.push_back(where + ": now rejected, remove it from expected_later");
    return;
  }
  tally.malformed_rejected += !decoded;
  if (decoded) tally.problems.push_back(where + ": malformed (" + command.value("text", "") + ") but decoded");
}

class WasmTestsuite : public ::testing::TestWithParam<std::string> {};

TEST_P(WasmTestsuite, MalformedModulesRejectedValidModulesDecoded) {
  // The pinned suite is read in place from ../shared beside the checkout (design.md); a checkout
  // without it (a copy elsewhere) cannot run this test, and says so.
  if (!test::wasm_testsuite_present())
    GTEST_SKIP() << test::wasm_testsuite_dir() << " is missing: the test suite is read from ../shared beside the checkout";
  // Missing is a broken setup, not a reason to pass: `make test` installs it.
  if (!test::wast2json_available()) FAIL() << "wast2json not found (Debian package wabt, installed by scripts/install-deps.sh)";
  const std::string file = GetParam();
  Result<test::WastScript> script = test::WastScript::convert(file);
  ASSERT_TRUE(script.ok()) << script.error().message;
  Tally tally;
  for (const nlohmann::json& command : script->commands()) check_command(command, *script, tally);

  std::cout << "[ testsuite ] " << file << ".wast: " << tally.modules_decoded << "/" << tally.modules
            << " modules decoded, " << tally.malformed_rejected << "/"
            << tally.malformed - tally.malformed_expected_later << " assert_malformed binary modules rejected, "
            << tally.malformed_expected_later << " left to the instruction decoder\n";
  for (const std::string& problem : tally.problems) ADD_FAILURE() << problem;
  EXPECT_GT(tally.modules + tally.malformed, 0);
}

INSTANTIATE_TEST_SUITE_P(Files, WasmTestsuite, ::testing::Values("binary", "binary-leb128", "custom"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           for (char& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

}  // namespace
}  // namespace phantom::wasm
