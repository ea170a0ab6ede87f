// Compiler tests in-process: Appendix A's HashMap order, binary compatibility of ordinals and slots across
// separate compiler runs, diagnostics format, and the no-partial-output rule (tests/plc).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "classfile/class_reader.h"
#include "plc/class_table.h"
#include "plc/compiler.h"

namespace fs = std::filesystem;
using namespace phantom;

namespace {

class Compiler : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("plc-test-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "lib");
    plc::CompileOptions lib;
    for (const auto& e : fs::directory_iterator(PLIB_INTERNAL_DIR)) lib.files.push_back(e.path().string());
    lib.out_dir = (dir_ / "lib").string();
    plc::CompileResult r = plc::compile(lib);
    ASSERT_EQ(r.errors, 0u) << r.diagnostics;
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p;
  }
  plc::CompileResult compile(std::vector<fs::path> files, const fs::path& out, std::vector<std::string> class_path = {}) {
    fs::create_directories(out);
    plc::CompileOptions options;
    for (auto& f : files) options.files.push_back(f.string());
    options.out_dir = out.string();
    options.class_path = std::move(class_path);
    options.class_path.push_back((dir_ / "lib").string());
    return plc::compile(options);
  }
  classfile::ClassFile read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto file = classfile::read_class_file(bytes, p.string());
    EXPECT_TRUE(file.ok()) << (file.ok() ? "" : file.error().message);
    return file.ok() ? *file : classfile::ClassFile{};
  }
  static std::map<std::string, int> ordinals(const classfile::ClassFile& f) {
    std::map<std::string, int> out;
    for (const auto& s : f.signatures) {
      std::string key = s.name;
      for (const auto& a : s.arguments) key += "/" + a.type.main;
      out[key] = s.ordinal;
    }
    return out;
  }
  fs::path dir_;
};

// Appendix A's check vector: .phantom.util.hashpair's six methods, then with <init> inserted last.
TEST(HashMapOrder, MatchesTheCheckVector) {
  std::vector<std::string> keys = {"setKey_#_.internal.object", "getKey_#_void",  "setVal_#_.internal.object",
                                   "getVal_#_void",             "setNext_#_.phantom.util.hashpair", "getNext_#_void"};
  std::vector<std::string> order;
  for (std::size_t i : plc::hash_map_order(keys)) order.push_back(keys[i]);
  EXPECT_EQ(order, (std::vector<std::string>{"setNext_#_.phantom.util.hashpair", "setVal_#_.internal.object", "getVal_#_void",
                                             "getKey_#_void", "getNext_#_void", "setKey_#_.internal.object"}));
  keys.push_back("<init>_#_void");
  order.clear();
  for (std::size_t i : plc::hash_map_order(keys)) order.push_back(keys[i]);
  EXPECT_EQ(order[0], "setNext_#_.phantom.util.hashpair");
  EXPECT_EQ(order[1], "<init>_#_void");
  std::vector<std::string> fields = {"key", "val", "next"};
  std::vector<std::string> field_order;
  for (std::size_t i : plc::hash_map_order(fields)) field_order.push_back(fields[i]);
  EXPECT_EQ(field_order, (std::vector<std::string>{"val", "next", "key"}));
}

TEST(HashMapOrder, GrowsAtThreeQuartersAndKeepsInsertionOrderInABucket) {
  std::vector<std::string> keys;
  for (int i = 0; i < 13; ++i) keys.push_back("m" + std::to_string(i));  // 13 keys: capacity 32
  auto order = plc::hash_map_order(keys);
  ASSERT_EQ(order.size(), 13u);
  // Recompute independently: Java's String.hashCode, spread, bucket in a 32-entry table.
  auto bucket = [](const std::string& k) {
    std::uint32_t h = 0;
    for (unsigned char c : k) h = 31 * h + c;
    return (h ^ (h >> 16)) & 31u;
  };
  for (std::size_t i = 1; i < order.size(); ++i) {
    std::uint32_t a = bucket(keys[order[i - 1]]), b = bucket(keys[order[i]]);
    EXPECT_TRUE(a < b || (a == b && order[i - 1] < order[i]));
  }
}

// The library's hashpair gets the ordinals and record order the original compiler gave it.
TEST_F(Compiler, HashpairOrdinalsAndFieldSlots) {
  auto r = compile({fs::path(PLIB_PHANTOM_DIR) / "phantom.util.hashpair.ph"}, dir_ / "out");
  ASSERT_EQ(r.errors, 0u) << r.diagnostics;
  auto f = read(dir_ / "out" / "phantom.util.hashpair.pc");
  auto o = ordinals(f);
  EXPECT_EQ(o["setNext/.phantom.util.hashpair"], 16);
  EXPECT_EQ(o["setVal/.internal.object"], 17);
  EXPECT_EQ(o["getVal"], 18);
  EXPECT_EQ(o["getKey"], 19);
  EXPECT_EQ(o["getNext"], 20);
  EXPECT_EQ(o["setKey/.internal.object"], 21);
  EXPECT_EQ(o["<init>"], 22);
  EXPECT_EQ(f.header.method_slots, 23);
  EXPECT_EQ(f.header.object_slots, 3);
  ASSERT_EQ(f.signatures.size(), 7u);
  EXPECT_EQ(f.signatures[1].name, "<init>");  // record order: the final table's HashMap order
  ASSERT_EQ(f.fields.size(), 3u);
  EXPECT_EQ(f.fields[0].name, "val");
  EXPECT_EQ(f.fields[0].ordinal, 1);
  EXPECT_EQ(f.fields[2].name, "key");
  EXPECT_EQ(f.fields[2].ordinal, 0);
}

const char* root_src = R"(package .test;
class hier.root
{
    var root_init : int;
    void root() { root_init = 1; }
};
)";
const char* intermediate_src = R"(package .test;
class hier.intermediate extends hier.root
{
};
)";
const char* child_src = R"(package .test;
class hier.child1 extends hier.intermediate
{
    var child1_init : int;
    void child1() { child1_init = 1; }
    void test() { if (child1_init != root_init) throw "hierarchy test failed"; }
};
)";

// One class per run against the parent's class file (the library's way), and all three in one run in
// the opposite order: the same ordinals and slots either way.
TEST_F(Compiler, SeparateRunsAndOrdersAgree) {
  fs::path root = write("root.ph", root_src), mid = write("mid.ph", intermediate_src), child = write("child.ph", child_src);
  fs::path a = dir_ / "a", b = dir_ / "b";
  auto r1 = compile({root}, a, {a.string()});
  ASSERT_EQ(r1.errors, 0u) << r1.diagnostics;
  auto r2 = compile({mid}, a, {a.string()});
  ASSERT_EQ(r2.errors, 0u) << r2.diagnostics;
  auto r3 = compile({child}, a, {a.string()});
  ASSERT_EQ(r3.errors, 0u) << r3.diagnostics;
  auto r4 = compile({child, mid, root}, b);
  ASSERT_EQ(r4.errors, 0u) << r4.diagnostics;
  for (const char* cls : {"test.hier.root.pc", "test.hier.intermediate.pc", "test.hier.child1.pc"}) {
    auto fa = read(a / cls), fb = read(b / cls);
    EXPECT_EQ(ordinals(fa), ordinals(fb)) << cls;
    EXPECT_EQ(fa.header.method_slots, fb.header.method_slots) << cls;
    EXPECT_EQ(fa.header.object_slots, fb.header.object_slots) << cls;
  }
  // language.md §3.5.4: child1's constructor takes 17, then moves onto the parent's constructor
  // ordinal 16; test keeps 18; the header says 19.
  auto child1 = read(a / "test.hier.child1.pc");
  auto o = ordinals(child1);
  EXPECT_EQ(o["<init>"], 16);
  EXPECT_EQ(o["test"], 18);
  EXPECT_EQ(child1.header.method_slots, 19);
  // Our fix of the field-numbering bug (§3.4.1): child1_init comes after root_init, not on top of it.
  ASSERT_EQ(child1.fields.size(), 1u);
  EXPECT_EQ(child1.fields[0].ordinal, 1);
  EXPECT_EQ(child1.header.object_slots, 2);
  auto mid_file = read(a / "test.hier.intermediate.pc");
  EXPECT_EQ(mid_file.header.object_slots, 1);  // the original wrote 0
}

TEST_F(Compiler, DiagnosticNamesFileLineColumnWithCaret) {
  fs::path src = write("bad.ph", "package .test;\nclass c\n{\n    void f() { x = 1; }\n};\n");
  auto r = compile({src}, dir_ / "out");
  EXPECT_EQ(r.errors, 1u);
  std::string want = src.string() + ":4:16: error: unknown name 'x'";
  EXPECT_NE(r.diagnostics.find(want), std::string::npos) << r.diagnostics;
  EXPECT_NE(r.diagnostics.find("      void f() { x = 1; }\n                 ^\n"), std::string::npos) << r.diagnostics;
}

TEST_F(Compiler, AnErrorWritesNoClassFileAndRemovesStaleOnes) {
  fs::path good = write("good.ph", "package .test;\nclass good\n{\n    int f() { return 1; }\n};\n");
  fs::path bad = write("bad.ph", "package .test;\nclass bad\n{\n    int f() { return y; }\n};\n");
  fs::path out = dir_ / "out";
  auto first = compile({good}, out);
  ASSERT_EQ(first.errors, 0u) << first.diagnostics;
  std::ofstream(out / "test.other.pc") << "not ours";
  auto r = compile({good, bad}, out);
  EXPECT_GT(r.errors, 0u);
  EXPECT_TRUE(r.written.empty());
  EXPECT_FALSE(fs::exists(out / "test.good.pc"));  // stale: it no longer matches a run that failed
  EXPECT_FALSE(fs::exists(out / "test.bad.pc"));
  EXPECT_TRUE(fs::exists(out / "test.other.pc"));  // not a class of these sources: untouched
  for (const auto& e : fs::directory_iterator(out)) EXPECT_EQ(e.path().extension(), ".pc") << "a temporary file was left";
}

TEST_F(Compiler, ReportsErrorsOfEveryMethodInOneRun) {
  fs::path src = write("many.ph",
                       "package .test;\nclass many\n{\n    void a() { i = ; }\n    void b() { j = 1; }\n"
                       "    void c() { var s : string; s.nope(); }\n};\n");
  auto r = compile({src}, dir_ / "out");
  EXPECT_EQ(r.errors, 3u) << r.diagnostics;
}

TEST_F(Compiler, ListingShowsEveryMethod) {
  fs::path src = write("l.ph", "package .test;\nclass l\n{\n    int twice(var x : int) { return x * 2; }\n};\n");
  plc::CompileOptions options;
  options.files = {src.string()};
  options.out_dir = dir_.string();
  options.class_path = {(dir_ / "lib").string()};
  options.listing = true;
  auto r = plc::compile(options);
  ASSERT_EQ(r.errors, 0u) << r.diagnostics;
  EXPECT_NE(r.listing.find(".method twice 16"), std::string::npos) << r.listing;
  EXPECT_NE(r.listing.find("imul"), std::string::npos) << r.listing;
}

}  // namespace

namespace {

TEST(CompilerWithoutLibrary, SaysTheLibraryIsMissing) {
  auto r = phantom::plc::compile_text("lonely.ph", "package .test;\nclass lonely\n{\n};\n", {});
  EXPECT_GT(r.errors, 0u);
  EXPECT_NE(r.diagnostics.find("lonely.ph:2:7: error: class .internal.object is not available: is the library (plib) on the class path?"),
            std::string::npos)
      << r.diagnostics;
}

}  // namespace
