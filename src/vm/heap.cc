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
  nonempty_ = 0;
  retire_region();
}

bool Heap::plausible(Ref r) const {
  std::uint64_t at = std::uint64_t(r) << ref_shift;
  const WorldHeader* h = header();
  if (at < h->heap_begin || at + sizeof(ObjectHeader) > h->heap_top) return false;
  const ObjectHeader* o = hdr(r);
  return o->klass != 0 && o->units >= units_for(0) && at + (std::uint64_t(o->units) << 3) <= h->heap_top &&
         units_for(o->size) <= o->units;
}

void Heap::refresh_free_mask() {
  nonempty_ = 0;
  for (std::uint32_t u = 0; u < small_units_limit; ++u)
    if (header()->small_free[u] != raw_null) nonempty_ |= 1ull << u;
}

void Heap::push_free(Ref block, std::uint32_t units) {
  WorldHeader* h = header();
  ObjectHeader* t = hdr(block);
  t->klass = 0;
  t->size = 0;
  t->units = units;
  Ref& head = units < small_units_limit ? h->small_free[units] : h->large_free;
  t->flags = head;
  head = block;
  if (units < small_units_limit) nonempty_ |= 1ull << units;
}

void Heap::start_region(Ref block, std::uint32_t units) {
  if (region_units_ > 0) push_free(region_, region_units_);  // the old rest goes back on a list
  region_ = block;
  region_units_ = units;
  set_free_header(block, units);
}

// Reuse before growth: the smallest bigger small block split in two, then the large list (first
// fit). The collector coalesces neighbours, so exact sizes alone rarely match.
Ref Heap::take_free(std::uint32_t units) {
  WorldHeader* h = header();
  auto pop = [&](std::uint32_t u) {
    Ref r = h->small_free[u];
    h->small_free[u] = hdr(r)->flags;
    if (h->small_free[u] == raw_null) nonempty_ &= ~(1ull << u);
    return r;
  };
  // The exact size was tried by allocate()'s fast path.
  if (units < small_units_limit) {
    std::uint32_t from = units + units_for(0);
    std::uint64_t bigger = from < 64 ? nonempty_ >> from << from : 0;
    if (bigger) {
      auto u = static_cast<std::uint32_t>(__builtin_ctzll(bigger));
      Ref r = pop(u);
      start_region(r + units, u - units);
      return r;
    }
  }
  // First fit, but only over the first few blocks: growing requests (a string built by appends)
  // would otherwise walk the whole list each time. The next collection coalesces what was skipped.
  Ref* link = &h->large_free;
  for (int scanned = 0; *link != raw_null && scanned < 16; ++scanned) {
    Ref r = *link;
    ObjectHeader* block = hdr(r);
    if (block->units == units || block->units >= units + units_for(0)) {
      *link = block->flags;
      if (block->units > units) start_region(r + units, block->units - units);
      return r;
    }
    link = &block->flags;
  }
  return raw_null;
}

Ref Heap::allocate_slow(Ref klass, std::uint32_t flags, Kind kind, std::uint32_t size, bool zero) {
  WorldHeader* h = header();
  std::uint32_t units = units_for(size);
  std::uint64_t bytes = std::uint64_t(units) << 3;
  Ref r = take_free(units);
  if (r == raw_null) {
    if (h->heap_top + bytes > h->heap_end) return raw_null;
    r = static_cast<Ref>(h->heap_top >> ref_shift);
    h->heap_top += bytes;
  }
  return init_block(r, klass, flags, kind, size, units, zero);
}

}  // namespace phantom::vm
