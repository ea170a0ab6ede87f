// Little-endian field access for on-disk formats (util layer).
// Every stored integer goes through these, so a format is defined by offsets, never by struct layout
// (persistence.md §1.2: the original's tools drifted because they dumped structs).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace phantom {

inline void put_u16(std::byte* p, std::uint16_t v) {
  for (int i = 0; i < 2; ++i) p[i] = std::byte(v >> (8 * i));
}
inline void put_u32(std::byte* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = std::byte(v >> (8 * i));
}
inline void put_u64(std::byte* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = std::byte(v >> (8 * i));
}
inline std::uint16_t get_u16(const std::byte* p) {
  std::uint16_t v = 0;
  for (int i = 0; i < 2; ++i) v |= std::uint16_t(std::to_integer<std::uint16_t>(p[i]) << (8 * i));
  return v;
}
inline std::uint32_t get_u32(const std::byte* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= std::to_integer<std::uint32_t>(p[i]) << (8 * i);
  return v;
}
inline std::uint64_t get_u64(const std::byte* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= std::to_integer<std::uint64_t>(p[i]) << (8 * i);
  return v;
}

// Unaligned access in host byte order, for arena records and WebAssembly linear memory (which the arena
// holds as bytes and only this host reads): one memcpy, which compilers turn into a plain load or store.
template <typename T>
T load_unaligned(const void* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <typename T>
void store_unaligned(void* p, T v) {
  std::memcpy(p, &v, sizeof v);
}

}  // namespace phantom
