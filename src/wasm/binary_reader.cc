// Binary reader: LEB128, names, counts and windows over a module's bytes (wasm layer).
// May call: util/ only.
#include "wasm/binary_reader.h"

namespace phantom::wasm {

Error BinaryReader::error_at(std::size_t offset, std::string_view what) const {
  return make_error(Errc::corrupt, "{}, offset {:#x}: {}", context_, offset, what);
}

Error BinaryReader::limit_error_at(std::size_t offset, std::string_view what) const {
  return make_error(Errc::unsupported, "{}, offset {:#x}: {}", context_, offset, what);
}

Result<std::uint8_t> BinaryReader::byte(std::string_view what) {
  if (at_end()) return error(fmt::format("unexpected end: {} is missing", what));
  return module_[position_++];
}

// LEB128 (spec 5.2.2): an N-bit integer takes at most ceil(N/7) bytes, and the bits of the last byte
// beyond N must be zero (unsigned) or copies of the sign bit (signed). Both rules make the encoding of a
// value short and unambiguous; the test suite checks each of them.
Result<std::uint64_t> BinaryReader::leb(std::string_view what, unsigned bits, bool is_signed) {
  const std::size_t start = position_;
  const unsigned max_bytes = (bits + 6) / 7;
  std::uint64_t value = 0;
  unsigned shift = 0;
  std::uint8_t last = 0;
  for (unsigned index = 0; index < max_bytes; ++index) {
    if (at_end()) return error_at(start, fmt::format("unexpected end inside {} (a LEB128 integer)", what));
    last = module_[position_++];
    value |= std::uint64_t(last & 0x7f) << shift;
    shift += 7;
    if (index + 1 < max_bytes) {
      if ((last & 0x80) == 0) break;
      continue;
    }
    if (last & 0x80)
      return error_at(start, fmt::format("{}: integer representation too long (more than {} bytes)", what, max_bytes));
    const unsigned used = bits - 7 * (max_bytes - 1);  // bits of the last byte that carry the value
    const std::uint8_t high = (last & 0x7f) >> (is_signed ? used - 1 : used);
    const std::uint8_t all_ones = 0x7f >> (is_signed ? used - 1 : used);
    if (high != 0 && !(is_signed && high == all_ones))
      return error_at(start, fmt::format("{}: integer too large for {} bits", what, bits));
  }
  if (is_signed && shift < 64 && (last & 0x40)) value |= ~std::uint64_t(0) << shift;
  return value;
}

Result<std::uint32_t> BinaryReader::u32(std::string_view what) {
  PHANTOM_ASSIGN(std::uint64_t value, leb(what, 32, false));
  return static_cast<std::uint32_t>(value);
}

Result<std::int32_t> BinaryReader::s32(std::string_view what) {
  PHANTOM_ASSIGN(std::uint64_t value, leb(what, 32, true));
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(value));
}

Result<std::int64_t> BinaryReader::s64(std::string_view what) {
  PHANTOM_ASSIGN(std::uint64_t value, leb(what, 64, true));
  return static_cast<std::int64_t>(value);
}

Result<ByteRange> BinaryReader::bytes(std::uint32_t count, std::string_view what) {
  if (count > remaining())
    return error(fmt::format("unexpected end: {} needs {} bytes, {} are left", what, count, remaining()));
  ByteRange range{static_cast<std::uint32_t>(position_), count};
  position_ += count;
  return range;
}

Result<std::uint64_t> BinaryReader::fixed(unsigned width, std::string_view what) {
  PHANTOM_ASSIGN(ByteRange range, bytes(width, what));
  std::uint64_t value = 0;
  for (unsigned i = 0; i < width; ++i) value |= std::uint64_t(module_[range.offset + i]) << (8 * i);
  return value;
}

Result<std::string> BinaryReader::name(std::string_view what) {
  const std::size_t start = position_;
  PHANTOM_ASSIGN(std::uint32_t length, u32(what));
  PHANTOM_ASSIGN(ByteRange range, bytes(length, what));
  std::string text(reinterpret_cast<const char*>(module_.data()) + range.offset, range.size);
  if (!valid_utf8(text)) return error_at(start, fmt::format("{} is not valid UTF-8 (malformed UTF-8 encoding)", what));
  return text;
}

Result<std::uint32_t> BinaryReader::count(std::string_view what, std::uint32_t limit, std::size_t min_element_bytes) {
  const std::size_t start = position_;
  PHANTOM_ASSIGN(std::uint32_t n, u32(what));
  if (n > remaining() / min_element_bytes)
    return error_at(start, fmt::format("{} is {}, but only {} bytes are left (length out of bounds)", what, n,
                                       remaining()));
  if (n > limit) return limit_error_at(start, fmt::format("{} is {} (at most {})", what, n, limit));
  return n;
}

Result<BinaryReader> BinaryReader::window(std::uint32_t size, std::string_view context, std::string_view what) {
  if (size > remaining())
    return error(fmt::format("unexpected end: {} of {} bytes runs past the end ({} bytes left)", what, size,
                             remaining()));
  BinaryReader inner(module_, position_, position_ + size, context);
  position_ += size;
  return inner;
}

bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<std::uint8_t>(text[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    std::size_t length;
    std::uint32_t code_point;
    std::uint32_t smallest;  // anything below this had a shorter encoding: overlong
    if ((lead & 0xe0) == 0xc0) {
      length = 2, code_point = lead & 0x1f, smallest = 0x80;
    } else if ((lead & 0xf0) == 0xe0) {
      length = 3, code_point = lead & 0x0f, smallest = 0x800;
    } else if ((lead & 0xf8) == 0xf0) {
      length = 4, code_point = lead & 0x07, smallest = 0x10000;
    } else {
      return false;  // a continuation byte where a character should start, or 0xf8-0xff
    }
    if (text.size() - i < length) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<std::uint8_t>(text[i + k]);
      if ((next & 0xc0) != 0x80) return false;
      code_point = code_point << 6 | (next & 0x3f);
    }
    if (code_point < smallest || code_point > 0x10ffff) return false;
    if (code_point >= 0xd800 && code_point <= 0xdfff) return false;  // surrogates are not scalar values
    i += length;
  }
  return true;
}

}  // namespace phantom::wasm
