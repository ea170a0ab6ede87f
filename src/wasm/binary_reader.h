// Binary reader: bounded reads of the WebAssembly binary format's primitives (wasm layer).
// Owns: LEB128 with the spec's length and unused-bit rules (spec 5.2.2), names (length-prefixed,
// valid UTF-8), vector counts checked against the bytes that remain, and the "section, offset: what"
// form of every decoding error.
// A reader covers one window [begin, end) of the module's bytes and never reads outside it; offsets it
// reports are from the module's first byte, so a message points at the byte a hex dump shows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "util/result.h"
#include "wasm/module.h"

namespace phantom::wasm {

class BinaryReader {
 public:
  // `context` names where the window is ("code section", "module header") and must outlive the reader.
  BinaryReader(std::span<const std::uint8_t> module, std::size_t begin, std::size_t end, std::string_view context)
      : module_(module), position_(begin), end_(end), context_(context) {}

  std::size_t offset() const { return position_; }
  std::size_t end() const { return end_; }
  std::size_t remaining() const { return end_ - position_; }
  bool at_end() const { return position_ == end_; }
  std::string_view context() const { return context_; }

  // A malformed-module error at `offset` (Errc::corrupt), or at the current position.
  Error error_at(std::size_t offset, std::string_view what) const;
  Error error(std::string_view what) const { return error_at(position_, what); }
  // The same for a module that is well formed but over one of our limits (Errc::unsupported).
  Error limit_error_at(std::size_t offset, std::string_view what) const;

  Result<std::uint8_t> byte(std::string_view what);
  Result<std::uint32_t> u32(std::string_view what);
  Result<std::int32_t> s32(std::string_view what);
  Result<std::int64_t> s64(std::string_view what);
  // `count` raw bytes, as a range of the module; fails if fewer remain.
  Result<ByteRange> bytes(std::uint32_t count, std::string_view what);
  // A little-endian fixed-width value of `width` bytes (1..8), as floats are encoded.
  Result<std::uint64_t> fixed(unsigned width, std::string_view what);
  // A name: u32 length, then that many bytes of valid UTF-8.
  Result<std::string> name(std::string_view what);
  // A vector count. Every element takes at least `min_element_bytes` bytes, so a count that the remaining
  // bytes cannot hold is refused here, before anyone allocates for it; and a count over `limit` is refused
  // as over our limits.
  Result<std::uint32_t> count(std::string_view what, std::uint32_t limit, std::size_t min_element_bytes = 1);
  // A reader over the next `size` bytes with a new context; this reader moves past them.
  Result<BinaryReader> window(std::uint32_t size, std::string_view context, std::string_view what);

 private:
  Result<std::uint64_t> leb(std::string_view what, unsigned bits, bool is_signed);

  std::span<const std::uint8_t> module_;
  std::size_t position_;
  std::size_t end_;
  std::string_view context_;
};

// Whether `text` is well-formed UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
bool valid_utf8(std::string_view text);

}  // namespace phantom::wasm
