// Heap: objects inside the persistent arena, their references, allocation and the world header
// (VM layer). Layout (docs/vm.md): arena page 0 is the WorldHeader; objects follow from byte 4096.
// A reference (Ref) is an object's byte offset from the arena base divided by 8, so it is 32 bits wide,
// means the same after any restart under any binary, and reaches 16 GiB. Ref 0 is the raw null. A Ref
// with the top bit set is no object but a tagged int of 31 bits (docs/vm.md): i2o of such a value
// allocates nothing, and o2i reads no memory.
// Every block in [heap_begin, heap_top) starts with an ObjectHeader, free and dead blocks included, so
// the heap can be walked; the collector (gc.cc) marks in side bitmaps and writes into no object page,
// live or dead (design.md rule 4): the free runs it finds are kept in host memory, and a dead block
// keeps its old header (it is walked like an object) until the allocator reuses its memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <string_view>
#include <vector>

namespace phantom::vm {

using Ref = std::uint32_t;
constexpr Ref raw_null = 0;
constexpr unsigned ref_shift = 3;
constexpr Ref int_tag = 0x80000000u;
constexpr std::uint64_t max_heap_bytes = std::uint64_t(int_tag) << ref_shift;  // 16 GiB: below every tagged Ref

// Tagged ints hold -2^30 .. 2^30-1; other ints are boxed in an object of class .internal.int.
constexpr std::int32_t tagged_int_min = -(1 << 30), tagged_int_max = (1 << 30) - 1;
inline bool is_tagged_int(Ref r) { return (r & int_tag) != 0; }
inline bool fits_tagged_int(std::int32_t v) { return v >= tagged_int_min && v <= tagged_int_max; }
inline Ref tag_int(std::int32_t v) { return (static_cast<std::uint32_t>(v) & ~int_tag) | int_tag; }
inline std::int32_t untag_int(Ref r) { return static_cast<std::int32_t>(r << 1) >> 1; }

// pvm.md §3.1 object flags (low 24 bits of ObjectHeader::flags).
enum ObjectFlag : std::uint32_t {
  flag_code = 0x0001, flag_interface = 0x0002, flag_class = 0x0004, flag_decomposeable = 0x0008,
  flag_int = 0x0010, flag_string = 0x0020, flag_resizeable = 0x0040, flag_internal = 0x0080,
  flag_call_frame = 0x0100, flag_stack_frame = 0x0200, flag_thread = 0x0400, flag_childfree = 0x0800,
  flag_finalizer = 0x1000, flag_immutable = 0x2000, flag_has_weakref = 0x100000,
};

// How the collector traces an object (top 8 bits of ObjectHeader::flags).
enum class Kind : std::uint8_t {
  refs = 0,      // the data area is all references: instances of loaded classes, pages, method tables, root
  bytes,         // no references: numbers, strings, binaries, code-less internal objects, stack regions
  klass,         // ClassData
  code,          // CodeData
  array,         // ArrayData
  directory,     // DirectoryData
  thread,        // ThreadData (and through it its frames and stacks)
  mutex,         // MutexData (mutex, cond and sema)
  weakref,       // WeakrefData: the target is not traced
  closure,       // ClosureData
};

struct ObjectHeader {
  Ref klass;            // the class object; 0 marks a free block
  std::uint32_t flags;  // ObjectFlag bits | Kind << 24; 0 in a free block
  std::uint32_t size;   // bytes in the data area
  std::uint32_t units;  // the whole block (header included) in 8-byte units
};
static_assert(sizeof(ObjectHeader) == 16);

constexpr std::uint32_t kind_shift = 24;
inline Kind kind_of(const ObjectHeader* h) { return static_cast<Kind>(h->flags >> kind_shift); }

// Arena page 0. Changing a field's meaning bumps layout_version; an unknown version refuses to boot.
struct WorldHeader {
  char magic[8];                  // "PHWORLD\0"
  std::uint32_t layout_version;
  std::uint32_t state;            // WorldState
  std::uint64_t heap_begin;       // byte offsets from the arena base
  std::uint64_t heap_top;         // first byte never allocated
  std::uint64_t heap_end;
  Ref root;                       // the root object (pvm.md §3.8)
  std::uint32_t next_thread_id;
  std::uint64_t boots;            // starts of this world, the first one included
  std::uint64_t gc_runs;
  std::uint64_t live_bytes;       // after the last collection
  std::uint64_t allocated_since_gc;
  // Free lists of the builds before 2026-11-25, threaded through free blocks. No longer used (free
  // runs live in host memory); the collector clears them, so that an older build opening the world
  // finds them empty and allocates at the top instead of trusting stale links.
  Ref large_free;
  std::uint32_t reserved;
  Ref small_free[64];
};
constexpr char world_magic[8] = {'P', 'H', 'W', 'O', 'R', 'L', 'D', 0};
constexpr std::uint32_t world_layout_version = 1;
constexpr std::uint64_t heap_begin_offset = 4096;
constexpr std::uint32_t small_units_limit = 64;  // the size of WorldHeader::small_free

// A stretch of dead and free blocks between two live ones, found by the collector's sweep.
struct FreeRun {
  Ref start;
  std::uint32_t units;
};

using FreeRuns = std::deque<FreeRun>;

// The block size, in 8-byte units, of an object with `size` data bytes.
inline std::uint32_t units_for(std::uint32_t size) {
  return static_cast<std::uint32_t>((sizeof(ObjectHeader) + std::uint64_t(size) + 7) >> 3);
}

enum class WorldState : std::uint32_t { empty = 0, booting = 1, running = 2 };

class Heap {
 public:
  // `base`/`size`: the arena. attach() checks or initialises the header.
  Heap(std::byte* base, std::uint64_t size) : base_(base), size_(size) {}
  bool is_formatted() const;            // the header carries our magic
  std::uint32_t stored_layout_version() const { return header()->layout_version; }
  void format();                        // an empty heap in an untouched arena

  WorldHeader* header() const { return reinterpret_cast<WorldHeader*>(base_); }
  std::byte* base() const { return base_; }

  ObjectHeader* hdr(Ref r) const { return reinterpret_cast<ObjectHeader*>(base_ + (std::uint64_t(r) << ref_shift)); }
  std::byte* data(Ref r) const { return reinterpret_cast<std::byte*>(hdr(r) + 1); }
  template <typename T>
  T* as(Ref r) const { return reinterpret_cast<T*>(data(r)); }
  Ref ref_of(const void* p) const {
    return static_cast<Ref>((reinterpret_cast<const std::byte*>(p) - base_) >> ref_shift);
  }
  // True when `r` names an allocated block inside the heap (used to check references read from a world).
  bool plausible(Ref r) const;

  // A new object with a data area of `size` bytes, zeroed unless the caller fills it at once, or
  // raw_null when the heap is exhausted.
  Ref allocate(Ref klass, std::uint32_t flags, Kind kind, std::uint32_t size, bool zero = true) {
    // Fast path, inline: bump through the current free run. Everything else is allocate_slow().
    std::uint32_t units = units_for(size);
    if (region_units_ >= units) return bump(klass, flags, kind, size, units, zero);
    return allocate_slow(klass, flags, kind, size, zero);
  }
  // The free runs of the last sweep, in address order (host memory; the collector hands them over).
  // Allocation bumps through them in that order, so that it fills pages one after the other instead
  // of scattering over the heap (every page it touches goes into the next snapshot).
  // Returns the runs it had: a deque of millions of runs takes milliseconds to free, which the
  // collector spreads over its steps (a deque, so that the sweep's list never moves as it grows).
  FreeRuns set_free_runs(FreeRuns runs) {
    std::swap(runs_, runs);
    next_run_ = 0;
    largest_stale_ = true;
    retire_region();
    return runs;
  }
  // Whether the allocator has runs left to bump through (free space below the top).
  bool has_free_runs() const { return next_run_ < runs_.size(); }
  // The runs the allocator has not reached yet (tests: a dead block lies in one, a live block never).
  std::vector<FreeRun> unused_runs() const { return {runs_.begin() + static_cast<std::ptrdiff_t>(next_run_), runs_.end()}; }
  // Forgets the bump region; its rest is a valid free block that the next sweep reclaims.
  void retire_region() { region_units_ = 0; region_ = raw_null; }
  std::uint64_t heap_used() const { return header()->heap_top - header()->heap_begin; }
  std::uint64_t heap_capacity() const { return header()->heap_end - header()->heap_begin; }

 private:
  Ref allocate_slow(Ref klass, std::uint32_t flags, Kind kind, std::uint32_t size, bool zero);
  Ref bump(Ref klass, std::uint32_t flags, Kind kind, std::uint32_t size, std::uint32_t units, bool zero) {
    Ref r = region_;
    std::uint32_t rest = region_units_ - units;
    if (rest == 1) {  // too small for a free-block header: this object takes it
      ++units;
      rest = 0;
    }
    region_ += units;
    region_units_ = rest;
    if (rest) set_free_header(region_, rest);  // the heap stays walkable
    return init_block(r, klass, flags, kind, size, units, zero);
  }
  Ref init_block(Ref r, Ref klass, std::uint32_t flags, Kind kind, std::uint32_t size, std::uint32_t units, bool zero) {
    ObjectHeader* o = hdr(r);
    o->klass = klass;
    o->flags = (flags & 0xFFFFFF) | (static_cast<std::uint32_t>(kind) << kind_shift);
    o->size = size;
    o->units = units;
    std::uint64_t bytes = std::uint64_t(units) << 3;
    if (zero) std::memset(o + 1, 0, bytes - sizeof(ObjectHeader));
    header()->allocated_since_gc += bytes;
    return r;
  }
  Ref take_large(std::uint32_t& units);
  void set_free_header(Ref block, std::uint32_t units) {
    ObjectHeader* t = hdr(block);
    t->klass = 0;
    t->size = 0;
    t->units = units;
    t->flags = raw_null;
  }
  std::byte* base_;
  std::uint64_t size_;
  // Host memory: after a restart the heap grows at the top until the first collection finds the runs.
  FreeRuns runs_;
  std::size_t next_run_ = 0;  // runs before it were used or passed over
  // The largest run from next_run_ on, for large requests (take_large); stale once used.
  std::size_t largest_ = 0;
  std::uint32_t largest_units_ = 0;
  bool largest_stale_ = true;
  // The run being bumped through; its rest always carries a valid free-block header.
  Ref region_ = raw_null;
  std::uint32_t region_units_ = 0;
};


}  // namespace phantom::vm
