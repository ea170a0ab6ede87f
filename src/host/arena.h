// Arena: the persistent object space as one range of virtual memory at a fixed address (host layer).
// Reserved lazily (no memory is used until a page is touched), so that object references, which are
// plain addresses, stay valid across restarts. If the address range is taken the reservation fails;
// the store never relocates a world.
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
