// Internal classes: the fixed table of pvm.md §4.1 — names, root slots, native table sizes, instance
// flags and layouts (VM layer).
#pragma once

#include <cstdint>
#include <string_view>

#include "vm/heap.h"
#include "vm/objects.h"

namespace phantom::vm {

constexpr std::uint32_t sys_interface_size = 64;  // [sys i; ret] codes shared by every internal class

struct InternalClassInfo {
  std::string_view name;
  std::uint32_t root_slot;
  std::uint32_t natives;         // size of the native table; an index beyond it is an error
  std::uint32_t instance_flags;  // pvm.md §3.1 flags of instances
  Kind kind;                     // how the collector traces instances
  std::uint32_t instance_size;   // data bytes of a `new` instance
};

const InternalClassInfo& internal_class_info(std::int32_t id);

}  // namespace phantom::vm
