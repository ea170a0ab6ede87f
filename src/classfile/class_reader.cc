// Class reader: record framing, bounded field reads, and the per-record validation (class-file layer).
// May call: util/ only.
#include "classfile/class_reader.h"

#include <cstring>
#include <set>

namespace phantom::classfile {
namespace {

constexpr std::uint8_t record_magic[5] = {'p', 'h', 'f', 'r', ':'};
constexpr std::size_t record_header = 10;  // magic, tag, int32 size
// Sanity bounds that no compiler output comes near; they keep a hostile file from making the VM
// allocate huge method tables.
constexpr std::int32_t max_method_slots = 1 << 16;
constexpr std::int32_t max_object_slots = 1 << 20;

// Reads the fields of one record's body, never past its end.
class Cursor {
 public:
  Cursor(std::span<const std::uint8_t> body, std::size_t body_offset, char tag, std::string_view file)
      : body_(body), base_(body_offset), tag_(tag), file_(file) {}

  bool at_end() const { return pos_ == body_.size(); }
  std::size_t remaining() const { return body_.size() - pos_; }
  std::size_t position() const { return pos_; }
  void rewind(std::size_t pos) { pos_ = pos; }

  Error error(std::string_view what) const {
    return make_error(Errc::corrupt, "{}: record '{}' at offset {:#x}: {}", file_, tag_, base_ - record_header, what);
  }
  Result<std::int32_t> i32(std::string_view field) {
    if (remaining() < 4) return short_field(field, 4);
    std::int32_t v = static_cast<std::int32_t>(std::uint32_t(body_[pos_]) << 24 | std::uint32_t(body_[pos_ + 1]) << 16 |
                                               std::uint32_t(body_[pos_ + 2]) << 8 | std::uint32_t(body_[pos_ + 3]));
    pos_ += 4;
    return v;
  }
  Result<std::int64_t> i64(std::string_view field) {
    if (remaining() < 8) return short_field(field, 8);
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = v << 8 | body_[pos_ + i];
    pos_ += 8;
    return static_cast<std::int64_t>(v);
  }
  Result<std::string> string(std::string_view field) {
    PHANTOM_ASSIGN(std::int32_t length, i32(field));
    if (length < 0) return error(fmt::format("{}: negative length {}", field, length));
    if (static_cast<std::size_t>(length) > remaining())
      return error(fmt::format("{}: length {} runs past the end of the record ({} bytes left)", field, length, remaining()));
    std::string s(reinterpret_cast<const char*>(body_.data() + pos_), static_cast<std::size_t>(length));
    pos_ += static_cast<std::size_t>(length);
    return s;
  }
  Result<TypeRef> type(std::string_view field) {
    TypeRef t;
    PHANTOM_ASSIGN(std::int32_t container, i32(field));
    if (container != 0 && container != 1) return error(fmt::format("{}: container flag is {}, not 0 or 1", field, container));
    t.is_container = container == 1;
    PHANTOM_ASSIGN(t.main, string(field));
    PHANTOM_ASSIGN(t.contained, string(field));
    return t;
  }
  std::vector<std::uint8_t> rest() {
    std::vector<std::uint8_t> bytes(body_.begin() + static_cast<std::ptrdiff_t>(pos_), body_.end());
    pos_ = body_.size();
    return bytes;
  }

 private:
  Error short_field(std::string_view field, std::size_t need) const {
    return error(fmt::format("{}: needs {} bytes at body offset {}, the record has {} left", field, need, pos_, remaining()));
  }

  std::span<const std::uint8_t> body_;
  std::size_t pos_ = 0;
  std::size_t base_;
  char tag_;
  std::string_view file_;
};

Status read_header(Cursor& c, ClassHeader& h) {
  PHANTOM_ASSIGN(h.name, c.string("class name"));
  PHANTOM_ASSIGN(h.object_slots, c.i32("object slot count"));
  PHANTOM_ASSIGN(h.method_slots, c.i32("method slot count"));
  PHANTOM_ASSIGN(h.parent, c.string("parent name"));
  if (!c.at_end()) {
    PHANTOM_ASSIGN(std::string version, c.string("version"));
    h.version = std::move(version);
  }
  if (!c.at_end()) return c.error(fmt::format("{} unexpected bytes after the header", c.remaining()));
  if (h.name.empty()) return c.error("empty class name");
  if (h.object_slots < 0 || h.object_slots > max_object_slots)
    return c.error(fmt::format("object slot count {} is out of range", h.object_slots));
  if (h.method_slots < 0 || h.method_slots > max_method_slots)
    return c.error(fmt::format("method slot count {} is out of range", h.method_slots));
  return ok_status();
}

// Tries one signature layout; fails unless it consumes the body exactly.
Result<Signature> read_signature(Cursor& c, SignatureLayout layout) {
  Signature s;
  s.layout = layout;
  PHANTOM_ASSIGN(s.name, c.string("method name"));
  PHANTOM_ASSIGN(s.ordinal, c.i32("ordinal"));
  PHANTOM_ASSIGN(std::int32_t count, c.i32("argument count"));
  if (count < 0) return c.error(fmt::format("negative argument count {}", count));
  if (layout == SignatureLayout::s2) {
    PHANTOM_ASSIGN(std::int32_t constructor, c.i32("constructor flag"));
    if (constructor != 0 && constructor != 1) return c.error("constructor flag is not 0 or 1");
    s.is_constructor = constructor == 1;
  }
  PHANTOM_ASSIGN(s.return_type, c.type("return type"));
  for (std::int32_t i = 0; i < count; ++i) {
    if (c.remaining() < 12) return c.error(fmt::format("argument {} of {} is missing", i, count));
    Argument a;
    PHANTOM_ASSIGN(a.name, c.string("argument name"));
    PHANTOM_ASSIGN(a.type, c.type("argument type"));
    s.arguments.push_back(std::move(a));
  }
  if (!c.at_end()) return c.error(fmt::format("{} unexpected bytes after the signature", c.remaining()));
  return s;
}

}  // namespace

Result<ClassFile> read_class_file(std::span<const std::uint8_t> bytes, std::string_view file_name) {
  ClassFile file;
  bool have_header = false;
  std::set<std::int32_t> method_ordinals;
  std::size_t offset = 0;
  while (offset < bytes.size()) {
    if (bytes.size() - offset < record_header)
      return make_error(Errc::corrupt, "{}: offset {:#x}: {} trailing bytes are not a record", file_name, offset,
                        bytes.size() - offset);
    if (std::memcmp(bytes.data() + offset, record_magic, sizeof record_magic) != 0)
      return make_error(Errc::corrupt, "{}: offset {:#x}: no record marker \"phfr:\"", file_name, offset);
    char tag = static_cast<char>(bytes[offset + 5]);
    std::uint32_t size = std::uint32_t(bytes[offset + 6]) << 24 | std::uint32_t(bytes[offset + 7]) << 16 |
                         std::uint32_t(bytes[offset + 8]) << 8 | std::uint32_t(bytes[offset + 9]);
    if (size < 14)
      return make_error(Errc::corrupt, "{}: record '{}' at offset {:#x}: size {} is smaller than 14", file_name, tag,
                        offset, size);
    if (size > bytes.size() - offset)
      return make_error(Errc::corrupt, "{}: record '{}' at offset {:#x}: size {} runs past the end of the file ({} bytes left)",
                        file_name, tag, offset, size, bytes.size() - offset);
    Cursor c(bytes.subspan(offset + record_header, size - record_header), offset + record_header, tag, file_name);
    if (!have_header && tag != 'C') return c.error("the first record must be the class header 'C'");
    switch (tag) {
      case 'C':
        if (have_header) return c.error("a second class header");
        PHANTOM_TRY(read_header(c, file.header));
        have_header = true;
        break;
      case 'M': {
        Method m;
        PHANTOM_ASSIGN(m.name, c.string("method name"));
        PHANTOM_ASSIGN(m.ordinal, c.i32("ordinal"));
        if (m.ordinal < 0 || m.ordinal >= file.header.method_slots)
          return c.error(fmt::format("method '{}' has ordinal {}, outside the class's {} method slots", m.name, m.ordinal,
                                     file.header.method_slots));
        if (!method_ordinals.insert(m.ordinal).second)
          return c.error(fmt::format("method ordinal {} is defined twice", m.ordinal));
        m.code = c.rest();
        file.methods.push_back(std::move(m));
        break;
      }
      case 'S': {
        auto s2 = read_signature(c, SignatureLayout::s2);
        if (s2.ok()) {
          file.signatures.push_back(std::move(s2).value());
          break;
        }
        c.rewind(0);
        auto s1 = read_signature(c, SignatureLayout::s1);
        if (!s1.ok()) return s2.take_error();  // the current layout's complaint is the useful one
        (void)s2.error();
        file.signatures.push_back(std::move(s1).value());
        break;
      }
      case 'l': {
        LineMap map;
        PHANTOM_ASSIGN(map.ordinal, c.i32("method ordinal"));
        PHANTOM_ASSIGN(std::int32_t count, c.i32("entry count"));
        if (count < 0 || static_cast<std::size_t>(count) * 12 != c.remaining())
          return c.error(fmt::format("entry count {} does not match the {} bytes of entries", count, c.remaining()));
        for (std::int32_t i = 0; i < count; ++i) {
          LineEntry e;
          PHANTOM_ASSIGN(e.ip, c.i64("ip"));
          PHANTOM_ASSIGN(e.line, c.i32("line"));
          map.entries.push_back(e);
        }
        file.line_maps.push_back(std::move(map));
        break;
      }
      case 'f':
        while (!c.at_end()) {
          FieldName f;
          PHANTOM_ASSIGN(f.name, c.string("field name"));
          PHANTOM_ASSIGN(f.ordinal, c.i32("field ordinal"));
          if (f.ordinal < 0 || f.ordinal > max_object_slots)
            return c.error(fmt::format("field '{}' has ordinal {}", f.name, f.ordinal));
          PHANTOM_ASSIGN(f.type, c.type("field type"));
          file.fields.push_back(std::move(f));
        }
        break;
      case 'c': {
        Constant k;
        PHANTOM_ASSIGN(k.id, c.i32("constant id"));
        if (k.id < 0) return c.error(fmt::format("negative constant id {}", k.id));
        PHANTOM_ASSIGN(k.type, c.type("constant type"));
        k.value = c.rest();
        file.constants.push_back(std::move(k));
        break;
      }
      default:
        file.warnings.push_back(fmt::format("{}: record '{}' at offset {:#x} ignored (unknown type)", file_name, tag, offset));
        break;
    }
    offset += size;
  }
  if (!have_header) return make_error(Errc::corrupt, "{}: no class header record 'C' (empty file?)", file_name);
  return file;
}

Result<std::vector<BulkEntry>> read_bulk_container(std::span<const std::uint8_t> bytes, std::string_view file_name) {
  constexpr std::size_t name_bytes = 512;
  std::vector<BulkEntry> entries;
  std::size_t offset = 0;
  while (offset < bytes.size()) {
    if (bytes.size() - offset < name_bytes + 4)
      return make_error(Errc::corrupt, "{}: offset {:#x}: truncated entry header", file_name, offset);
    const auto* name = reinterpret_cast<const char*>(bytes.data() + offset);
    std::size_t name_length = strnlen(name, name_bytes);
    if (name_length == name_bytes || name_length == 0)
      return make_error(Errc::corrupt, "{}: offset {:#x}: class name is {}", file_name, offset,
                        name_length == 0 ? "empty" : "not NUL-terminated within 512 bytes");
    const std::uint8_t* l = bytes.data() + offset + name_bytes;  // little-endian (host order of the original)
    std::uint32_t length = std::uint32_t(l[0]) | std::uint32_t(l[1]) << 8 | std::uint32_t(l[2]) << 16 | std::uint32_t(l[3]) << 24;
    std::size_t data_offset = offset + name_bytes + 4;
    if (length > bytes.size() - data_offset)
      return make_error(Errc::corrupt, "{}: offset {:#x}: class '{}' claims {} bytes, {} are left", file_name, offset,
                        std::string(name, name_length), length, bytes.size() - data_offset);
    entries.push_back({std::string(name, name_length), bytes.subspan(data_offset, length)});
    offset = data_offset + length;
  }
  return entries;
}

}  // namespace phantom::classfile
