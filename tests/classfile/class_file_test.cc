// Tests for src/classfile: the hand-decoded example of spec/pvm.md §1.7(a) byte for byte, a round
// trip of every record kind, each validation error, the bulk container, and robustness against every
// truncation and byte flip of a valid file.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "classfile/class_reader.h"
#include "classfile/class_writer.h"

namespace phantom::classfile {
namespace {

using Bytes = std::vector<std::uint8_t>;

void put32(Bytes& b, std::int32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<std::uint8_t>(std::uint32_t(v) >> (24 - 8 * i)));
}
void put_string(Bytes& b, const std::string& s) {
  put32(b, static_cast<std::int32_t>(s.size()));
  b.insert(b.end(), s.begin(), s.end());
}
void record(Bytes& out, char tag, const Bytes& body) {
  out.insert(out.end(), {'p', 'h', 'f', 'r', ':', static_cast<std::uint8_t>(tag)});
  put32(out, static_cast<std::int32_t>(body.size() + 10));
  out.insert(out.end(), body.begin(), body.end());
}

// spec/pvm.md §1.7(a): internal.int.pc, 179 bytes, S1 signature layout.
Bytes internal_int_pc() {
  Bytes out, c, m, s, l;
  put_string(c, ".internal.int");
  put32(c, 0);
  put32(c, 6);
  put_string(c, ".internal.object");
  put_string(c, "20160109081026091");
  record(out, 'C', c);
  put_string(m, "toString");
  put32(m, 5);
  m.push_back(0x08);  // ret
  record(out, 'M', m);
  put_string(s, "toString");
  put32(s, 5);
  put32(s, 0);  // no arguments; S1 has no constructor flag
  put32(s, 0);
  put_string(s, ".internal.string");
  put_string(s, "");
  record(out, 'S', s);
  put32(l, 5);
  put32(l, 0);
  record(out, 'l', l);
  return out;
}

TEST(ClassFile, ReadsTheHandDecodedExample) {
  Bytes bytes = internal_int_pc();
  ASSERT_EQ(bytes.size(), 179u);
  EXPECT_EQ(bytes[0x4C + 5], 'M');   // record offsets as in the spec's table
  EXPECT_EQ(bytes[0x67 + 5], 'S');
  EXPECT_EQ(bytes[0xA1 + 5], 'l');
  auto file = read_class_file(bytes, "internal.int.pc");
  ASSERT_TRUE(file.ok()) << file.error().message;
  EXPECT_EQ(file->header.name, ".internal.int");
  EXPECT_EQ(file->header.object_slots, 0);
  EXPECT_EQ(file->header.method_slots, 6);
  EXPECT_EQ(file->header.parent, ".internal.object");
  EXPECT_EQ(file->header.version, "20160109081026091");
  ASSERT_EQ(file->methods.size(), 1u);
  EXPECT_EQ(file->methods[0].name, "toString");
  EXPECT_EQ(file->methods[0].ordinal, 5);
  EXPECT_EQ(file->methods[0].code, Bytes{0x08});
  ASSERT_EQ(file->signatures.size(), 1u);
  EXPECT_EQ(file->signatures[0].layout, SignatureLayout::s1);
  EXPECT_EQ(file->signatures[0].return_type, (TypeRef{false, ".internal.string", ""}));
  ASSERT_EQ(file->line_maps.size(), 1u);
  EXPECT_TRUE(file->line_maps[0].entries.empty());
  // The writer reproduces the file exactly.
  EXPECT_EQ(write_class_file(*file), bytes);
}

ClassFile every_record_kind() {
  ClassFile f;
  f.header = {".phantom.util.hashpair", 3, 22, ".internal.object", "20201120000000000"};
  f.methods.push_back({"setNext", 16, {0x29, 0x01, 0x00, 0x1E, 0, 0, 0, 0, 0x15, 0x02, 0x08}});
  f.methods.push_back({"<init>", 17, {0x08}});
  f.signatures.push_back({SignatureLayout::s2, "setNext", 16, false, {false, ".internal.void", ""},
                          {{"_n", {false, ".phantom.util.hashpair", ""}}}});
  f.signatures.push_back({SignatureLayout::s2, "<init>", 17, true, {false, ".internal.void", ""}, {}});
  f.line_maps.push_back({16, {{5, 24}, {10, 25}}});
  f.fields.push_back({"key", 0, {false, ".internal.object", ""}});
  f.fields.push_back({"items", 1, {true, ".internal.container.array", ".internal.string"}});
  f.constants.push_back({0, {false, ".internal.string", ""}, {'h', 'i', '\r', '\n'}});
  return f;
}

TEST(ClassFile, RoundTripsEveryRecordKind) {
  ClassFile original = every_record_kind();
  Bytes bytes = write_class_file(original);
  auto read = read_class_file(bytes, "hashpair.pc");
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(*read, original);
  EXPECT_TRUE(read->warnings.empty());
}

TEST(ClassFile, UnknownRecordsAreSkippedWithAWarning) {
  Bytes bytes = internal_int_pc();
  Bytes body;
  put32(body, 42);
  record(bytes, 'x', body);
  auto file = read_class_file(bytes, "x.pc");
  ASSERT_TRUE(file.ok());
  ASSERT_EQ(file->warnings.size(), 1u);
  EXPECT_NE(file->warnings[0].find("record 'x' at offset 0xb3 ignored"), std::string::npos) << file->warnings[0];
}

// Each malformed file is rejected, and the message names the file, the place and the problem.
TEST(ClassFile, RejectsMalformedFiles) {
  struct Case {
    const char* name;
    Bytes bytes;
    const char* expect;
  };
  auto with = [](auto edit) {
    Bytes b = internal_int_pc();
    edit(b);
    return b;
  };
  Bytes no_header;
  {
    Bytes m;
    put_string(m, "f");
    put32(m, 0);
    record(no_header, 'M', m);
  }
  Bytes two_headers = internal_int_pc();
  two_headers.insert(two_headers.end(), two_headers.begin(), two_headers.begin() + 0x4C);
  Bytes duplicate = internal_int_pc();
  duplicate.insert(duplicate.end(), duplicate.begin() + 0x4C, duplicate.begin() + 0x67);
  std::vector<Case> cases = {
      {"empty", {}, "no class header"},
      {"marker", with([](Bytes& b) { b[0x4C] = 'X'; }), "offset 0x4c: no record marker"},
      {"small size", with([](Bytes& b) { b[0x4C + 9] = 13; }), "size 13 is smaller than 14"},
      {"size past end", with([](Bytes& b) { b[0xA1 + 9] = 0x40; }), "runs past the end of the file"},
      {"trailing bytes", with([](Bytes& b) { b.insert(b.end(), {1, 2, 3}); }), "3 trailing bytes"},
      {"M before C", no_header, "first record must be the class header"},
      {"two C", two_headers, "a second class header"},
      {"ordinal range", with([](Bytes& b) { b[0x62 + 3] = 6; }), "ordinal 6, outside the class's 6 method slots"},
      {"duplicate ordinal", duplicate, "ordinal 5 is defined twice"},
      {"string length", with([](Bytes& b) { b[0x56 + 3] = 200; }), "method name: length 200 runs past the end"},
      {"negative length", with([](Bytes& b) { b[0x56] = 0xFF; }), "negative length"},
      {"negative slots", with([](Bytes& b) { b[0x1F] = 0x80; }), "method slot count -2147483642 is out of range"},
      {"line count", with([](Bytes& b) { b[0xA1 + 10 + 7] = 1; }), "entry count 1 does not match"},
      {"signature", with([](Bytes& b) { b[0x71 + 20] = 9; }), "record 'S' at offset 0x67"},
  };
  for (const Case& c : cases) {
    auto file = read_class_file(c.bytes, "bad.pc");
    ASSERT_FALSE(file.ok()) << c.name;
    EXPECT_EQ(file.error().code, Errc::corrupt) << c.name;
    EXPECT_NE(file.error().message.find("bad.pc: "), std::string::npos) << c.name << ": " << file.error().message;
    EXPECT_NE(file.error().message.find(c.expect), std::string::npos) << c.name << ": " << file.error().message;
  }
}

TEST(ClassFile, EveryTruncationAndByteFlipIsHandled) {
  Bytes good = write_class_file(every_record_kind());
  int rejected = 0;
  for (std::size_t n = 0; n < good.size(); ++n) {
    auto file = read_class_file(std::span(good.data(), n), "cut.pc");
    // Cutting at a record boundary leaves a valid (shorter) file; anywhere else must fail.
    if (!file.ok()) ++rejected;
  }
  EXPECT_GT(rejected, static_cast<int>(good.size()) - 10);
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (std::uint8_t flip : {0x01, 0x80, 0xFF}) {
      Bytes bad = good;
      bad[i] ^= flip;
      auto file = read_class_file(bad, "flip.pc");
      if (file.ok()) {  // whatever was accepted must write and read back the same
        auto again = read_class_file(write_class_file(*file), "again.pc");
        ASSERT_TRUE(again.ok()) << "byte " << i << ": " << again.error().message;
      }
    }
  }
}

TEST(BulkContainer, RoundTripsAndRejectsDamage) {
  Bytes a = internal_int_pc();
  Bytes b = write_class_file(every_record_kind());
  Bytes bulk = write_bulk_container({{"internal.int", a}, {"phantom.util.hashpair", b}});
  auto entries = read_bulk_container(bulk, "classes");
  ASSERT_TRUE(entries.ok()) << entries.error().message;
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[1].name, "phantom.util.hashpair");
  EXPECT_TRUE(std::equal(b.begin(), b.end(), (*entries)[1].data.begin(), (*entries)[1].data.end()));
  auto truncated = read_bulk_container(std::span(bulk.data(), bulk.size() - 1), "classes");
  ASSERT_FALSE(truncated.ok());
  std::string expected = "class 'phantom.util.hashpair' claims " + std::to_string(b.size()) + " bytes, " +
                         std::to_string(b.size() - 1) + " are left";
  EXPECT_NE(truncated.error().message.find(expected), std::string::npos) << truncated.error().message;
  Bytes unterminated(600, 'a');
  auto bad_name = read_bulk_container(unterminated, "classes");
  ASSERT_FALSE(bad_name.ok());
  EXPECT_NE(bad_name.error().message.find("not NUL-terminated"), std::string::npos);
}

}  // namespace
}  // namespace phantom::classfile
