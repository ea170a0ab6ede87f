// Heap: formatting the world header and allocating blocks (VM layer). May call: util/ only.
#include "vm/heap.h"

#include <algorithm>

namespace phantom::vm {

bool Heap::is_formatted() const { return std::memcmp(header()->magic, world_magic, sizeof world_magic) == 0; }

void Heap::format() {
  WorldHeader* h = header();
  std::memset(h, 0, sizeof *h);
  std::memcpy(h->magic, world_magic, sizeof world_magic);
  h->layout_version = world_layout_version;
  h->state = static_cast<std::uint32_t>(WorldState::empty);
  h->heap_begin = heap_begin_offset;
  h->heap_top = heap_begin_offset;
  h->heap_end = std::min<std::uint64_t>(size_, max_heap_bytes) & ~std::uint64_t(7);
  h->next_thread_id = 1;
}

bool Heap::plausible(Ref r) const {
  std::uint64_t at = std::uint64_t(r) << ref_shift;
  const WorldHeader* h = header();
  if (at < h->heap_begin || at + sizeof(ObjectHeader) > h->heap_top) return false;
  const ObjectHeader* o = hdr(r);
  return o->klass != 0 && o->units >= units_for(0) && at + (std::uint64_t(o->units) << 3) <= h->heap_top &&
         units_for(o->size) <= o->units;
}

// Reuse before growth: the exact-size list, then a bigger small block split in two, then the large
// list (first fit). The collector coalesces neighbours, so exact sizes alone would rarely match.
Ref Heap::take_free(std::uint32_t units) {
  WorldHeader* h = header();
  auto give_back = [&](Ref tail, std::uint32_t rest) {
    ObjectHeader* t = hdr(tail);
    t->klass = 0;
    t->size = 0;
    t->units = rest;
    Ref& head = rest < small_units_limit ? h->small_free[rest] : h->large_free;
    t->flags = head;
    head = tail;
  };
  if (units < small_units_limit) {
    if (h->small_free[units] != raw_null) {
      Ref r = h->small_free[units];
      h->small_free[units] = hdr(r)->flags;
      return r;
    }
    for (std::uint32_t bigger = units + units_for(0); bigger < small_units_limit; ++bigger) {
      Ref r = h->small_free[bigger];
      if (r == raw_null) continue;
      h->small_free[bigger] = hdr(r)->flags;
      give_back(r + units, bigger - units);
      return r;
    }
  }
  Ref* link = &h->large_free;
  while (*link != raw_null) {
    Ref r = *link;
    ObjectHeader* block = hdr(r);
    if (block->units == units || block->units >= units + units_for(0)) {
      *link = block->flags;
      if (block->units > units) give_back(r + units, block->units - units);
      return r;
    }
    link = &block->flags;
  }
  return raw_null;
}

Ref Heap::allocate(Ref klass, std::uint32_t flags, Kind kind, std::uint32_t size) {
  WorldHeader* h = header();
  std::uint32_t units = units_for(size);
  std::uint64_t bytes = std::uint64_t(units) << 3;
  Ref r = take_free(units);
  if (r == raw_null) {
    if (h->heap_top + bytes > h->heap_end) return raw_null;
    r = static_cast<Ref>(h->heap_top >> ref_shift);
    h->heap_top += bytes;
  }
  ObjectHeader* o = hdr(r);
  o->klass = klass;
  o->flags = (flags & 0xFFFFFF) | (static_cast<std::uint32_t>(kind) << kind_shift);
  o->size = size;
  o->units = units;
  std::memset(o + 1, 0, bytes - sizeof(ObjectHeader));
  h->allocated_since_gc += bytes;
  return r;
}

}  // namespace phantom::vm
