// Heap: formatting the world header and allocating blocks (VM layer). May call: util/ only.
#include "vm/heap.h"

#include <algorithm>
#include <bit>

namespace phantom::vm {

// The arena holds host-order integers, the same bytes on x86-64 and aarch64 (docs/image-format.md
// "Portability"). A big-endian build would read every moved world wrongly, so there is none.
static_assert(std::endian::native == std::endian::little, "the arena's integers are little-endian");

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
  set_free_runs({});
}

bool Heap::plausible(Ref r) const {
  std::uint64_t at = std::uint64_t(r) << ref_shift;
  const WorldHeader* h = header();
  if (at < h->heap_begin || at + sizeof(ObjectHeader) > h->heap_top) return false;
  const ObjectHeader* o = hdr(r);
  return o->klass != 0 && o->units >= units_for(0) && at + (std::uint64_t(o->units) << 3) <= h->heap_top &&
         units_for(o->size) <= o->units;
}

// A request of more than this many units does not move the cursor: it takes the first of the next
// few runs it fits in, so that one large array does not pass over every smaller run.
constexpr std::uint32_t large_request_units = 512;  // 4 KiB
// The bump region a small request takes from the top of the heap: four pages, the same pages the
// allocations would have written one by one.
constexpr std::uint32_t top_chunk_units = 2048;  // 16 KiB

// `units` grows by one when the object takes a one-unit rest.
Ref Heap::take_large(std::uint32_t& units) {
  auto take = [&](FreeRun& run) {
    Ref r = run.start;
    std::uint32_t rest = run.units - units;
    if (rest <= 1) {  // the object takes the whole run (a rest of one unit could hold no header)
      units = run.units;
      run.units = 0;
      return r;
    }
    run.start += units;
    run.units = rest;
    set_free_header(run.start, rest);  // the heap stays walkable
    return r;
  };
  for (std::size_t i = next_run_; i < runs_.size() && i < next_run_ + 16; ++i)
    if (runs_[i].units >= units) return take(runs_[i]);
  // Else the largest run further on, if it is large enough: an array that grows step by step leaves
  // its old pages behind as runs that its later, larger pages fit in only once they have merged, and
  // those lie far beyond the next few. The largest is found again only after it was used, and not
  // at all for a request larger than it (the runs only shrink until the next sweep). The search
  // looks at most 65,536 runs ahead (about 0.1 ms), so that an allocation never waits long.
  // The run found last may have been used since: passed by the cursor, or split by the window above.
  if (!largest_stale_ && (largest_ < next_run_ || largest_ >= runs_.size() || runs_[largest_].units != largest_units_))
    largest_stale_ = true;
  if (largest_stale_) {
    largest_units_ = 0;
    largest_ = runs_.size();  // none
    for (std::size_t i = next_run_; i < runs_.size() && i < next_run_ + 65536; ++i)
      if (runs_[i].units > largest_units_) {
        largest_units_ = runs_[i].units;
        largest_ = i;
      }
    largest_stale_ = false;
  }
  if (largest_units_ < units) return raw_null;
  largest_stale_ = true;
  return take(runs_[largest_]);
}

// Reuse before growth: the next free run in address order that the request fits in becomes the bump
// region; smaller runs are passed over until the next collection. Then the top of the heap.
Ref Heap::allocate_slow(Ref klass, std::uint32_t flags, Kind kind, std::uint32_t size, bool zero) {
  WorldHeader* h = header();
  std::uint32_t units = units_for(size);
  if (units <= large_request_units) {
    while (next_run_ < runs_.size()) {
      const FreeRun& run = runs_[next_run_++];
      if (run.units < units) continue;
      region_ = run.start;
      region_units_ = run.units;
      return bump(klass, flags, kind, size, units, zero);
    }
  } else if (Ref r = take_large(units); r != raw_null) {
    return init_block(r, klass, flags, kind, size, units, zero);
  }
  std::uint64_t room = (h->heap_end - h->heap_top) >> 3;
  if (room < units) return raw_null;
  Ref r = static_cast<Ref>(h->heap_top >> ref_shift);
  if (units > large_request_units) {
    h->heap_top += std::uint64_t(units) << 3;
    return init_block(r, klass, flags, kind, size, units, zero);
  }
  // A small request takes a chunk of the top as its bump region, so that the next few hundred
  // allocations stay on the inline path; the chunk's rest is a free block (the heap stays
  // walkable up to heap_top) that the next sweep reclaims if it is never used.
  std::uint32_t chunk = static_cast<std::uint32_t>(std::min<std::uint64_t>(room, top_chunk_units));  // >= units
  h->heap_top += std::uint64_t(chunk) << 3;
  region_ = r;
  region_units_ = chunk;
  return bump(klass, flags, kind, size, units, zero);
}

}  // namespace phantom::vm
