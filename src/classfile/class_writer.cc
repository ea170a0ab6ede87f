// Class writer: record encoding (class-file layer). May call: util/ only.
#include "classfile/class_writer.h"

#include <cstring>

namespace phantom::classfile {
namespace {

class RecordWriter {
 public:
  explicit RecordWriter(std::vector<std::uint8_t>& out) : out_(out) {}
  void begin(char tag) {
    start_ = out_.size();
    out_.insert(out_.end(), {'p', 'h', 'f', 'r', ':', static_cast<std::uint8_t>(tag), 0, 0, 0, 0});
  }
  void end() {
    auto size = static_cast<std::uint32_t>(out_.size() - start_);
    for (int i = 0; i < 4; ++i) out_[start_ + 6 + i] = static_cast<std::uint8_t>(size >> (24 - 8 * i));
  }
  void i32(std::int32_t v) {
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<std::uint8_t>(std::uint32_t(v) >> (24 - 8 * i)));
  }
  void i64(std::int64_t v) {
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<std::uint8_t>(std::uint64_t(v) >> (56 - 8 * i)));
  }
  void string(const std::string& s) {
    i32(static_cast<std::int32_t>(s.size()));
    out_.insert(out_.end(), s.begin(), s.end());
  }
  void type(const TypeRef& t) {
    i32(t.is_container ? 1 : 0);
    string(t.main);
    string(t.contained);
  }
  void bytes(const std::vector<std::uint8_t>& b) { out_.insert(out_.end(), b.begin(), b.end()); }

 private:
  std::vector<std::uint8_t>& out_;
  std::size_t start_ = 0;
};

}  // namespace

std::vector<std::uint8_t> write_class_file(const ClassFile& file) {
  std::vector<std::uint8_t> out;
  RecordWriter w(out);
  w.begin('C');
  w.string(file.header.name);
  w.i32(file.header.object_slots);
  w.i32(file.header.method_slots);
  w.string(file.header.parent);
  if (file.header.version) w.string(*file.header.version);
  w.end();
  for (const Method& m : file.methods) {
    w.begin('M');
    w.string(m.name);
    w.i32(m.ordinal);
    w.bytes(m.code);
    w.end();
    for (const Signature& s : file.signatures) {
      if (s.ordinal != m.ordinal) continue;
      w.begin('S');
      w.string(s.name);
      w.i32(s.ordinal);
      w.i32(static_cast<std::int32_t>(s.arguments.size()));
      if (s.layout == SignatureLayout::s2) w.i32(s.is_constructor ? 1 : 0);
      w.type(s.return_type);
      for (const Argument& a : s.arguments) {
        w.string(a.name);
        w.type(a.type);
      }
      w.end();
    }
    for (const LineMap& map : file.line_maps) {
      if (map.ordinal != m.ordinal) continue;
      w.begin('l');
      w.i32(map.ordinal);
      w.i32(static_cast<std::int32_t>(map.entries.size()));
      for (const LineEntry& e : map.entries) {
        w.i64(e.ip);
        w.i32(e.line);
      }
      w.end();
    }
  }
  for (const FieldName& f : file.fields) {
    w.begin('f');
    w.string(f.name);
    w.i32(f.ordinal);
    w.type(f.type);
    w.end();
  }
  for (const Constant& k : file.constants) {
    w.begin('c');
    w.i32(k.id);
    w.type(k.type);
    w.bytes(k.value);
    w.end();
  }
  return out;
}

std::vector<std::uint8_t> write_bulk_container(const std::vector<BulkClass>& classes) {
  std::vector<std::uint8_t> out;
  for (const BulkClass& c : classes) {
    std::size_t at = out.size();
    out.resize(at + 512, 0);
    std::memcpy(out.data() + at, c.name.data(), std::min<std::size_t>(c.name.size(), 511));
    auto length = static_cast<std::uint32_t>(c.data.size());
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(length >> (8 * i)));
    out.insert(out.end(), c.data.begin(), c.data.end());
  }
  return out;
}

}  // namespace phantom::classfile
