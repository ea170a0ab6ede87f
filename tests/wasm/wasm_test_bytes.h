// Helpers that build WebAssembly binaries byte by byte for the wasm tests: LEB128, names, vectors,
// sections and the module header, so that each test shows the bytes it feeds the decoder.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace phantom::wasm::test_bytes {

using Bytes = std::vector<std::uint8_t>;

// Value-type bytes (spec 5.3.1), short enough to sit inside byte lists.
constexpr std::uint8_t i32 = 0x7f, i64 = 0x7e, f32 = 0x7d, f64 = 0x7c, v128 = 0x7b, funcref = 0x70, externref = 0x6f;

inline Bytes operator+(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}
inline Bytes& operator+=(Bytes& a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

inline Bytes leb(std::uint64_t value) {
  Bytes out;
  do {
    std::uint8_t byte = value & 0x7f;
    value >>= 7;
    out.push_back(value != 0 ? byte | 0x80 : byte);
  } while (value != 0);
  return out;
}

inline Bytes sleb(std::int64_t value) {
  Bytes out;
  while (true) {
    std::uint8_t byte = value & 0x7f;
    value >>= 7;  // arithmetic shift: the sign is kept
    bool done = (value == 0 && !(byte & 0x40)) || (value == -1 && (byte & 0x40));
    out.push_back(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

inline Bytes end() { return Bytes{0x0b}; }
inline Bytes sized(const Bytes& contents) { return leb(contents.size()) + contents; }
inline Bytes name(const std::string& text) { return leb(text.size()) + Bytes(text.begin(), text.end()); }

inline Bytes vec(const std::vector<Bytes>& items) {
  Bytes out = leb(items.size());
  for (const Bytes& item : items) out += item;
  return out;
}

inline Bytes func_type(const Bytes& params, const Bytes& results) {
  return Bytes{0x60} + leb(params.size()) + params + leb(results.size()) + results;
}

inline Bytes section(std::uint8_t id, const Bytes& contents) { return Bytes{id} + sized(contents); }

inline Bytes module(const std::vector<Bytes>& sections) {
  Bytes out = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  for (const Bytes& s : sections) out += s;
  return out;
}

}  // namespace phantom::wasm::test_bytes
