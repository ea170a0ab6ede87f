// Arena: the persistent object space as one range of virtual memory (host layer). Reserved lazily (no
// memory is used until a page is touched). Object references are offsets from its base, never host
// addresses, so a world runs wherever its arena is mapped: at the address recorded in its image when
// that is free, elsewhere when it is not (a kernel with fewer address bits, another arena in the way).
#pragma once

#include <cstddef>
#include <cstdint>

#include "util/result.h"

namespace phantom::host {

constexpr std::size_t page_size = 4096;

class Arena {
 public:
  virtual ~Arena() = default;
  virtual std::byte* base() const = 0;
  virtual std::uint64_t size() const = 0;
  std::uint64_t pages() const { return size() / page_size; }
  std::byte* page(std::uint64_t index) const { return base() + index * page_size; }
};

}  // namespace phantom::host
