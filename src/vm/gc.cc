// Garbage collector: incremental mark and sweep in bounded steps at safepoints (VM layer, pvm.md §5.3).
//
// A cycle goes through four phases, each done in steps of at most VmOptions::gc_step_us between the
// executor's turns, so that no single pause of the mutator is longer than a step (docs/vm.md):
//   clearing  zeroes the two bitmaps over the heap's extent;
//   marking   traces from the roots; the atomic first step scans the roots and every thread's stacks;
//   sweeping  turns the gaps between live blocks into free runs for the allocator;
//   idle      until enough has been allocated again.
//
// The invariant (snapshot at the beginning, Yuasa): every object reachable when marking began, and
// every object allocated since, is marked when marking ends. Three things keep it:
//   1. Deletion barrier: while marking, every store that overwrites a reference in an object of the
//      arena first shades the old value (Vm::set_ref, set_page_ref; write_barrier()). A stored *new*
//      value needs nothing: it was reachable at the beginning, or is new.
//   2. Stacks are scanned once, atomically, at the beginning, for every thread (the thread list, the
//      scheduler's queues, nested calls), so pushes and pops need no barrier. A thread made later is
//      new, hence marked, and so is every stack region that grows.
//   3. Allocation is black while marking: a new block gets its mark and end bits at once (Vm::alloc).
// Weak references are not traced; reading one while marking shades its target (Vm::read_weak), so a
// value the mutator got from a weak reference is never cleared under it. A large object is scanned
// a piece at a time (scan_piece references), so a store that moves values within one object (an
// array's removal shifts them) shades every value it overwrites, not only the one that leaves.
// Pacing (gc_step): after a step the mutator runs as long as the step took and allocates as much as
// it got through, then yields again; a world with nothing runnable collects without pause.
// Sweeping sees only the blocks below the extent it began with; the allocator meanwhile takes new
// blocks from the top, not from the old free runs, so nothing it hands out is swept as free.
//
// Rule 4 (design.md) holds: marks live in bitmaps in host memory, one bit per 8-byte unit, and the
// sweep writes nothing either; the free runs go to the allocator in host memory and dead blocks keep
// their headers until their memory is reused. The arena writes of a cycle are the world header and
// weak references whose target died. A snapshot may come between any two steps: the world is
// consistent then, and a restart simply starts a new cycle. Objects never move.
//
// collect_garbage() runs a whole cycle (or finishes the current one) at once: for an allocation that
// failed, tests and benches. PHANTOM_GC_VERIFY=1 checks each incremental marking against a fresh
// stop-the-world marking of the same heap, and aborts with the first object it missed.
#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>

#include "vm/vm.h"

namespace phantom::vm {

void Vm::GcBitmap::ensure(std::size_t words) {
  if (words <= capacity) return;
  // calloc: zero pages from the kernel, touched only as the heap grows into them.
  auto* fresh = static_cast<std::uint64_t*>(std::calloc(words, sizeof(std::uint64_t)));
  if (!fresh) throw std::bad_alloc();
  if (bits) std::memcpy(fresh, bits.get(), dirty * sizeof(std::uint64_t));
  bits.reset(fresh);
  capacity = words;
}

void Vm::gc_shade_into(MarkState& m, Ref r) {
  // A reference past the top is no object (only a damaged world has one); the check costs a load of
  // the header's line, which marking keeps in the cache.
  if (r == raw_null || is_tagged_int(r) || r < m.first || (std::uint64_t(r) << ref_shift) >= heap_.header()->heap_top) return;
  std::uint64_t bit = r - m.first;
  std::uint64_t& word = m.marks[bit >> 6];
  std::uint64_t mask = 1ull << (bit & 63);
  if (word & mask) return;
  word |= mask;
  const ObjectHeader* h = heap_.hdr(r);
  std::uint64_t last = bit + h->units - 1;
  if (h->units == 0 || ((std::uint64_t(r) + h->units) << ref_shift) > heap_.header()->heap_top) {
    console_.write_diagnostic(fmt::format("phantom: internal error: live block at {:#x} has {} units\n",
                                          std::uint64_t(r) << ref_shift, h->units));
    std::abort();
  }
  m.ends[last >> 6] |= 1ull << (last & 63);
  m.live_bytes += std::uint64_t(h->units) << ref_shift;
  ++m.live_objects;
  // Leaves (strings, numbers, binaries) hold no references; their class is marked through others.
  if (kind_of(h) == Kind::bytes && m.is_marked(h->klass)) return;
  m.gray.push_back(r);
}

void Vm::gc_scan(MarkState& m, Ref r) {
  ObjectHeader* h = heap_.hdr(r);
  gc_shade_into(m, h->klass);
  switch (kind_of(h)) {
    case Kind::refs: {
      // A large object (an array's page of a million slots) is scanned a piece at a time, so that
      // one object never makes a step long: the rest waits in `partial`.
      std::uint32_t n = h->size / sizeof(Ref);
      if (n > scan_piece) {
        m.partial.push_back({r, 0});
        break;
      }
      gc_scan_refs(m, heap_.as<Ref>(r), 0, n);
      break;
    }
    case Kind::bytes: break;
    case Kind::klass: {
      auto* words = heap_.as<Ref>(r);
      for (std::uint32_t i = 0; i < class_ref_fields; ++i) gc_shade_into(m, words[class_ref_fields_begin + i]);
      break;
    }
    case Kind::code: {
      auto* c = heap_.as<CodeData>(r);
      gc_shade_into(m, c->owner);
      gc_shade_into(m, c->name);
      gc_shade_into(m, c->lines);
      break;
    }
    case Kind::array: gc_shade_into(m, heap_.as<ArrayData>(r)->page); break;
    case Kind::directory: gc_shade_into(m, heap_.as<DirectoryData>(r)->table); break;
    case Kind::mutex: {
      auto* mx = heap_.as<MutexData>(r);
      gc_shade_into(m, mx->owner);
      gc_shade_into(m, mx->waiters);
      break;
    }
    case Kind::closure: gc_shade_into(m, heap_.as<ClosureData>(r)->object); break;
    case Kind::weakref: m.weakrefs.push_back(r); break;
    case Kind::thread: {
      auto* td = heap_.as<ThreadData>(r);
      Ref* fields = &td->frames;
      for (std::uint32_t i = 0; i < thread_ref_fields; ++i) gc_shade_into(m, fields[i]);
      if (td->frames != raw_null) {
        Frame* frames = heap_.as<Frame>(td->frames);
        for (std::uint32_t i = 0; i < td->frame_count; ++i) {
          gc_shade_into(m, frames[i].code);
          gc_shade_into(m, frames[i].self);
        }
      }
      if (td->os != raw_null) {
        const Ref* os = heap_.as<Ref>(td->os);
        for (std::uint32_t i = 0; i < td->os_top; ++i) gc_shade_into(m, os[i]);
      }
      if (td->es != raw_null) {
        Catcher* es = heap_.as<Catcher>(td->es);
        for (std::uint32_t i = 0; i < td->es_top; ++i) gc_shade_into(m, es[i].klass);
      }
      break;
    }
  }
}

void Vm::gc_scan_refs(MarkState& m, const Ref* refs, std::uint32_t from, std::uint32_t to) {
  // Marking waits mostly for the headers of the objects referred to: ask for them early.
  constexpr std::uint32_t ahead = 48;
  for (std::uint32_t i = from; i < to; ++i) {
    if (i + ahead < to) {
      Ref next = refs[i + ahead];
      if (next >= m.first && next < m.limit) __builtin_prefetch(heap_.hdr(next));
    }
    gc_shade_into(m, refs[i]);
  }
}

// The roots, with every thread's stacks scanned at once (invariant 2): a thread is shaded and then
// scanned on the spot, not left gray for later.
void Vm::gc_mark_roots(MarkState& m) {
  auto root = [&](Ref r) {
    gc_shade_into(m, r);
    if (m.is_marked(r) && kind_of(heap_.hdr(r)) == Kind::thread)
      gc_scan(m, r);
  };
  WorldHeader* wh = heap_.header();
  if (wh->root == raw_null) return;  // nothing built yet
  root(wh->root);
  for (Ref r : nested_roots_) root(r);
  if (current_ != raw_null) root(current_);
  // The scheduler's queues may still name a thread that has ended; keep it until it is dequeued.
  for (Ref t : run_queue_) root(t);
  for (const auto& timer : timers_) root(timer.second);
  for (Ref t : input_waiters_) root(t);
  for (Ref t : killed_waiters_) root(t);
  Ref list = root_slot(root_thread_list);
  if (list != raw_null && !is_tagged_int(list) && is_a(list, cid_array))
    for (std::uint32_t i = 0, n = array_size(list); i < n; ++i) root(array_get(list, i));
}

bool Vm::gc_drain(MarkState& m, std::uint64_t deadline_ns) {
  // The clock (about 20 ns) is read every 64 objects: an object with many references to scattered
  // objects costs a cache miss for each.
  std::uint32_t until_check = 64;
  for (;;) {
    if (--until_check == 0) {
      until_check = 64;
      if (deadline_ns && steady_ns() >= deadline_ns) return false;
    }
    if (!m.gray.empty()) {
      Ref r = m.gray.back();
      m.gray.pop_back();
      gc_scan(m, r);
    } else if (!m.partial.empty()) {
      // The next piece of a large object: a piece (a header read for each of its 256 references)
      // costs as much as many small objects, so the clock is read after each.
      auto& [r, done] = m.partial.back();
      std::uint32_t n = heap_.hdr(r)->size / sizeof(Ref);
      std::uint32_t to = std::min(n, done + scan_piece);
      Ref object = r;
      std::uint32_t from = done;
      if (to == n) m.partial.pop_back();
      else done = to;
      gc_scan_refs(m, heap_.as<Ref>(object), from, to);
      until_check = 1;
    } else {
      return true;
    }
  }
}

void Vm::gc_shade(Ref old) { gc_shade_into(gc_, old); }

void Vm::gc_mark_new(Ref r) {
  // Invariant 3: black at birth. Only the bits; the block is not traced (its fields are the
  // caller's to fill, with values that are marked or new).
  std::uint64_t bit = r - gc_.first;
  if (r < gc_.first || r >= gc_.limit) return;
  gc_.marks[bit >> 6] |= 1ull << (bit & 63);
  std::uint64_t last = bit + heap_.hdr(r)->units - 1;
  gc_.ends[last >> 6] |= 1ull << (last & 63);
  gc_.live_bytes += std::uint64_t(heap_.hdr(r)->units) << ref_shift;
  ++gc_.live_objects;
}

std::uint64_t Vm::gc_limit_units() const {
  // Marks cover the whole heap capacity, so the extent may grow during a cycle.
  return heap_.heap_capacity() >> ref_shift;
}

// ---- phases ----

void Vm::gc_begin_clearing() {
  const std::uint64_t units = gc_limit_units();
  const std::size_t words = (units + 63) / 64;
  gc_marks_.ensure(words);
  gc_ends_.ensure(words);
  gc_.phase = GcPhase::clearing;
  gc_.cleared = 0;
  gc_.sweep_word = 0;
  ++gc_cycles_;
}

// Zeroes what the last cycle wrote, in chunks; true when done and marking has begun. Marking begins
// with the roots and every thread's stacks, in the same step only when time is left for it.
bool Vm::gc_clear_some(std::uint64_t deadline_ns, std::uint64_t began_ns) {
  constexpr std::size_t chunk = 32 * 1024;  // words: 256 KiB of each bitmap
  bool cleared_now = false;
  while (gc_.cleared < gc_marks_.dirty) {
    if (cleared_now && deadline_ns && steady_ns() >= deadline_ns) return false;  // a chunk per step at least
    std::size_t end = std::min(gc_marks_.dirty, gc_.cleared + chunk);
    std::memset(gc_marks_.bits.get() + gc_.cleared, 0, (end - gc_.cleared) * sizeof(std::uint64_t));
    std::memset(gc_ends_.bits.get() + gc_.cleared, 0, (end - gc_.cleared) * sizeof(std::uint64_t));
    gc_.cleared = end;
    cleared_now = true;
  }
  // After clearing in this step, less than half of it left: the roots wait for the next step.
  if (cleared_now && deadline_ns && steady_ns() - began_ns > (deadline_ns - began_ns) / 2) return false;
  gc_begin_marking();
  return true;
}

void Vm::gc_begin_marking() {
  WorldHeader* wh = heap_.header();
  gc_.first = static_cast<Ref>(wh->heap_begin >> ref_shift);
  gc_.limit = gc_.first + static_cast<Ref>(gc_limit_units());
  gc_.marks = gc_marks_.bits.get();
  gc_.ends = gc_ends_.bits.get();
  gc_.gray.clear();
  gc_.weakrefs.clear();
  gc_.partial.clear();
  gc_.live_bytes = 0;
  gc_.live_objects = 0;
  gc_.phase = GcPhase::marking;
  gc_marking_ = true;
  gc_mark_roots(gc_);
}

// The end of marking, atomic: weak references and quickened code of dead objects, the figures of the
// world header, and the switch of the allocator to the top while the sweep runs.
void Vm::gc_finish_marking(GcReport& report) {
  // Host-side roots once more: cheap, and a thread queued since the beginning is surely marked.
  gc_mark_roots(gc_);
  gc_drain(gc_, 0);
  gc_marking_ = false;
  // Marks were set below the top, which only grew while marking: that much is cleared next cycle.
  const std::size_t used_words = ((heap_.heap_used() >> ref_shift) + 64) / 64;
  gc_marks_.dirty = std::max(gc_marks_.dirty, used_words);
  gc_ends_.dirty = gc_marks_.dirty;
  if (gc_verify_) gc_verify_marks();
  auto marked = [&](Ref r) { return gc_.is_marked(r); };
  if (quick_.forget_if([&](Ref r) { return !marked(r); })) summon_cache_.clear();
  for (Ref w : gc_.weakrefs) {
    Ref& target = heap_.as<WeakrefData>(w)->target;
    if (target != raw_null && target != null_object_ && !is_tagged_int(target) && !marked(target)) target = null_object_;
  }
  WorldHeader* wh = heap_.header();
  // Freed: what was there after the last collection or allocated since, and is not live now.
  std::uint64_t before = wh->live_bytes + wh->allocated_since_gc;
  report.freed_bytes = before > gc_.live_bytes ? before - gc_.live_bytes : 0;
  report.live_bytes = gc_.live_bytes;
  report.live_objects = gc_.live_objects;
  wh->live_bytes = gc_.live_bytes;
  wh->allocated_since_gc = 0;
  // The next collection waits for at least a quarter of the heap's extent to be allocated, so the
  // sweep, whose cost follows the extent, costs a bounded amount per byte allocated even in a
  // large, mostly free heap.
  gc_threshold_ = std::max({options_.gc_min_bytes, gc_.live_bytes, heap_.heap_used() / 4});
  last_report_ = report;

  gc_.phase = GcPhase::sweeping;
  gc_.sweep_units = (wh->heap_top - wh->heap_begin) >> ref_shift;
  gc_.sweep_top = wh->heap_top;
  gc_.sweep_word = 0;
  gc_.gap_start = 0;
  gc_.in_gap = false;
  gc_.covered = false;
  gc_.carry = 0;
  gc_.runs.clear();
  if (!gc_.retired.empty()) gc_.retired.clear();  // not yet freed: only when steps were few
  gc_.retired = heap_.set_free_runs({});  // the allocator bumps at the top until the sweep hands over the new runs
}

// Sweep, reading only the bitmaps: everything between the end of one live block and the start of the
// next is one run of dead and free blocks. Word by word: coverage by live blocks toggles at each
// block's first unit and at the unit after its last, so a prefix XOR of the toggles over the word's
// 64 bits gives each unit's coverage. Gaps begin and end where the coverage changes, which a heap
// full of live objects never does. True when done.
bool Vm::gc_sweep_some(std::uint64_t deadline_ns) {
  const std::uint64_t units = gc_.sweep_units;
  const std::size_t words = (units + 63) / 64;
  const std::uint64_t* marks = gc_.marks;
  const std::uint64_t* ends = gc_.ends;
  const std::size_t from = gc_.sweep_word;
  for (std::size_t w = from; w < words; ++w) {
    if ((w & 63) == 63 && w > from && deadline_ns && steady_ns() >= deadline_ns) {
      gc_.sweep_word = w;
      return false;
    }
    std::uint64_t p = marks[w] ^ ((ends[w] << 1) | gc_.carry);  // where the coverage toggles
    gc_.carry = ends[w] >> 63;
    p ^= p << 1;
    p ^= p << 2;
    p ^= p << 4;
    p ^= p << 8;
    p ^= p << 16;
    p ^= p << 32;
    std::uint64_t cover = gc_.covered ? ~p : p;
    // Before unit 0 counts as covered, so that a gap there is a change.
    std::uint64_t before_first = (w == 0 || gc_.covered) ? 1 : 0;
    for (std::uint64_t changes = cover ^ ((cover << 1) | before_first); changes != 0; changes &= changes - 1) {
      std::uint64_t at = (std::uint64_t(w) << 6) + static_cast<unsigned>(std::countr_zero(changes));
      if (at >= units) break;
      gc_.in_gap = !((cover >> (at & 63)) & 1);
      if (gc_.in_gap) gc_.gap_start = at;
      else gc_.runs.push_back({gc_.first + static_cast<Ref>(gc_.gap_start), static_cast<std::uint32_t>(at - gc_.gap_start)});
    }
    gc_.covered = cover >> 63;
  }
  gc_.sweep_word = words;
  gc_finish_sweep();
  return true;
}

void Vm::gc_finish_sweep() {
  WorldHeader* wh = heap_.header();
  if (gc_.in_gap) {
    // A gap at the end: back to the bump region when nothing was allocated at the top since the
    // sweep began, else an ordinary run.
    if (wh->heap_top == gc_.sweep_top) {
      wh->heap_top = wh->heap_begin + (gc_.gap_start << ref_shift);
    } else {
      gc_.runs.push_back({gc_.first + static_cast<Ref>(gc_.gap_start),
                          static_cast<std::uint32_t>(gc_.sweep_units - gc_.gap_start)});
    }
  }
  // No header is written: a run is made of dead blocks and free blocks, each of which still says
  // its own size, so the heap stays walkable; the allocator writes a header only where it splits a
  // run. (A run fits in 32 bits of units: the heap is at most 16 GiB.) The lists older builds kept
  // in the world header are emptied once.
  heap_.set_free_runs(std::move(gc_.runs));  // gives back the empty list of the sweep's time
  gc_.runs = {};
  for (Ref& head : wh->small_free)
    if (head != raw_null) head = raw_null;
  if (wh->large_free != raw_null) wh->large_free = raw_null;
  ++wh->gc_runs;
  gc_.phase = GcPhase::idle;
}

// ---- driving a cycle ----

bool Vm::gc_advance(std::uint64_t deadline_ns, GcReport& report) {
  const std::uint64_t began = steady_ns();
  gc_.dispose_some();
  for (;;) {
    switch (gc_.phase) {
      case GcPhase::idle:
        if (!gc_requested_) return true;
        gc_requested_ = false;
        heap_.retire_region();  // its rest is a valid free block, which the sweep finds again
        gc_begin_clearing();
        break;
      case GcPhase::clearing:
        if (!gc_clear_some(deadline_ns, began)) return false;
        break;
      case GcPhase::marking:
        if (!gc_drain(gc_, deadline_ns)) return false;
        gc_finish_marking(report);
        break;
      case GcPhase::sweeping:
        if (!gc_sweep_some(deadline_ns)) return false;
        return true;
    }
    if (deadline_ns && steady_ns() >= deadline_ns) return gc_.phase == GcPhase::idle;
  }
}

void Vm::gc_step() {
  if (gc_.phase == GcPhase::idle && !gc_requested_) return;
  if (gc_.phase != GcPhase::idle) gc_requested_ = false;  // this step is what was asked for
  std::uint64_t began = steady_ns();
  // What the step gets through, in bytes of heap: marked, or cleared and swept (a bitmap word covers
  // 512 bytes; those phases are cheap per byte, so they count an eighth).
  const std::uint64_t marked_before = gc_.live_bytes;
  const std::uint64_t words_before = gc_.cleared + gc_.sweep_word;
  GcReport report;
  gc_advance(began + options_.gc_step_us * 1000, report);
  std::uint64_t took = steady_ns() - began;
  ++gc_steps_;
  gc_step_max_ns_ = std::max(gc_step_max_ns_, took);
  if (gc_step_observer_) gc_step_observer_(took);
  // Pacing: until the next step the mutator may run for as long as this step took, and allocate
  // as much as it got through (at least 16 KiB), so that a cycle ends before the heap has grown
  // by more than about the live bytes, whatever the step's length.
  const std::uint64_t now = steady_ns();
  gc_next_step_ns_ = now + took;
  WorldHeader* wh = heap_.header();
  if (gc_.phase == GcPhase::idle) {
    gc_alloc_limit_ = gc_threshold_;
  } else {
    std::uint64_t marked = gc_.live_bytes > marked_before ? gc_.live_bytes - marked_before : 0;
    std::uint64_t words = gc_.cleared + gc_.sweep_word;
    std::uint64_t swept = words > words_before ? (words - words_before) * 64 : 0;
    gc_alloc_limit_ = wh->allocated_since_gc + std::max<std::uint64_t>({16 << 10, marked, swept});
  }
}

GcReport Vm::collect_garbage() {
  std::uint64_t began = steady_ns();
  std::uint64_t freed = 0;
  // Runs the collector until it is idle again; false when a snapshot asked to stop the world (the
  // cycle stays where it is and goes on later).
  auto run_to_idle = [&]() -> bool {
    for (;;) {
      if (stop_requested_.load(std::memory_order_relaxed)) return false;
      GcReport part;
      bool done = gc_advance(steady_ns() + 1'000'000, part);
      freed += part.freed_bytes;
      if (done && gc_.phase == GcPhase::idle) return true;
    }
  };
  // A cycle already under way is finished first; then one whole cycle from the beginning, so that
  // everything unreachable now is reclaimed.
  GcReport report;
  if (gc_.phase != GcPhase::idle && !run_to_idle()) {
    report.aborted = true;
    return report;
  }
  gc_requested_ = true;
  if (!run_to_idle()) {
    report.aborted = true;
    return report;
  }
  gc_alloc_limit_ = gc_threshold_;
  report = last_report_;
  report.freed_bytes = freed;
  report.ns = steady_ns() - began;
  return report;
}

// ---- checking (PHANTOM_GC_VERIFY=1) ----

void Vm::gc_verify_marks() {
  const std::size_t words = (gc_limit_units() + 63) / 64;
  std::vector<std::uint64_t> marks(words), ends(words);
  MarkState full;
  full.first = gc_.first;
  full.limit = gc_.limit;
  full.marks = marks.data();
  full.ends = ends.data();
  gc_mark_roots(full);
  gc_drain(full, 0);
  for (std::size_t w = 0; w < words; ++w) {
    std::uint64_t missed = marks[w] & ~gc_.marks[w];
    if (!missed) continue;
    Ref r = gc_.first + static_cast<Ref>((w << 6) + static_cast<unsigned>(std::countr_zero(missed)));
    console_.write_diagnostic(fmt::format(
        "phantom: internal error: the incremental collector missed a live object at {:#x} (class {}, kind {})\n",
        std::uint64_t(r) << ref_shift, class_name(heap_.hdr(r)->klass), static_cast<int>(kind_of(heap_.hdr(r)))));
    std::abort();
  }
}

}  // namespace phantom::vm
