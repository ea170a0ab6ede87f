// Garbage collector: stop-the-world mark and sweep at a safepoint (VM layer, pvm.md §5.3).
// Marking and the reading half of the sweep give way to a snapshot's stop request (the collection is
// dropped and runs again later), so a collection never lengthens a snapshot pause by more than the
// writing half, whose cost follows the number of free runs, not the heap size.
// Marks live in a bitmap in host memory, one bit per 8-byte unit, so marking never writes into the
// arena (design.md rule 4), and neither does the sweep: the free runs it finds go to the allocator in
// host memory, and dead blocks keep their headers until their memory is reused (before, each run got
// a free-block header and a list link written into it: in a sensors world about 2,000 pages a
// collection that nothing else had changed). The arena writes of a collection are the world header,
// weak references whose target died, and nothing else. Reclaims cycles. Objects never move, so
// references held by natives stay valid across a collection.
#include <algorithm>
#include <bit>
#include <chrono>

#include "vm/vm.h"

namespace phantom::vm {

GcReport Vm::collect_garbage() {
  auto began = std::chrono::steady_clock::now();
  GcReport report;
  heap_.retire_region();  // its rest is a valid free block, which the sweep finds again
  WorldHeader* wh = heap_.header();
  const std::uint64_t begin = wh->heap_begin, top = wh->heap_top;
  const std::uint64_t units = (top - begin) >> ref_shift;
  // Two bitmaps in host memory, kept between collections (no page faults to zero them): a bit at
  // the first unit of every live block, and one at its last unit, so that the sweep never reads the
  // heap.
  std::vector<std::uint64_t>& marks = gc_marks_;
  std::vector<std::uint64_t>& ends = gc_ends_;
  marks.assign((units + 63) / 64, 0);
  ends.assign(marks.size(), 0);
  std::uint64_t live_bytes = 0;
  auto corrupt = [&](Ref r, std::uint64_t block_units) {
    console_.write_diagnostic(fmt::format("phantom: internal error: live block at {:#x} has {} units\n",
                                          std::uint64_t(r) << ref_shift, block_units));
    std::abort();
  };
  const Ref first = static_cast<Ref>(begin >> ref_shift);
  auto mark = [&](Ref r) -> bool {  // true when newly marked
    std::uint64_t bit = r - first;
    std::uint64_t& word = marks[bit >> 6];
    std::uint64_t m = 1ull << (bit & 63);
    if (word & m) return false;
    word |= m;
    return true;
  };
  auto is_marked = [&](Ref r) { std::uint64_t bit = r - first; return (marks[bit >> 6] >> (bit & 63)) & 1; };

  std::vector<Ref> stack;
  std::vector<Ref> weakrefs;
  auto push = [&](Ref r) {
    if (r == raw_null || r < first || (std::uint64_t(r) << ref_shift) >= top || !mark(r)) return;
    const ObjectHeader* h = heap_.hdr(r);
    std::uint64_t last = std::uint64_t(r - first) + h->units - 1;
    if (h->units == 0 || last >= units) corrupt(r, h->units);
    ends[last >> 6] |= 1ull << (last & 63);
    live_bytes += std::uint64_t(h->units) << ref_shift;
    ++report.live_objects;
    // Leaves (strings, numbers, binaries) hold no references; their class is marked through others.
    if (kind_of(h) == Kind::bytes && is_marked(h->klass)) return;
    stack.push_back(r);
  };
  push(wh->root);
  for (Ref r : nested_roots_) push(r);
  if (current_ != raw_null) push(current_);
  // The scheduler's queues may still name a thread that has ended; keep it until it is dequeued.
  for (Ref t : run_queue_) push(t);
  for (const auto& timer : timers_) push(timer.second);
  for (Ref t : input_waiters_) push(t);

  std::uint32_t until_check = 4096;
  while (!stack.empty()) {
    // Marking writes nothing to the arena, so a snapshot that asks to stop the world wins: the
    // collection is dropped and runs again after the world resumes.
    if (--until_check == 0) {
      until_check = 4096;
      if (stop_requested_.load(std::memory_order_relaxed)) {
        report.aborted = true;
        return report;
      }
    }
    Ref r = stack.back();
    stack.pop_back();
    ObjectHeader* h = heap_.hdr(r);
    push(h->klass);
    switch (kind_of(h)) {
      case Kind::refs: {
        Ref* refs = heap_.as<Ref>(r);
        // Marking waits mostly for the headers of the objects referred to: ask for them early.
        constexpr std::uint32_t ahead = 48;
        for (std::uint32_t i = 0, n = h->size / sizeof(Ref); i < n; ++i) {
          if (i + ahead < n) {
            Ref next = refs[i + ahead];
            if (next >= first && (std::uint64_t(next) << ref_shift) < top) __builtin_prefetch(heap_.hdr(next));
          }
          push(refs[i]);
        }
        break;
      }
      case Kind::bytes: break;
      case Kind::klass: {
        auto* words = heap_.as<Ref>(r);
        for (std::uint32_t i = 0; i < class_ref_fields; ++i) push(words[class_ref_fields_begin + i]);
        break;
      }
      case Kind::code: {
        auto* c = heap_.as<CodeData>(r);
        push(c->owner);
        push(c->name);
        push(c->lines);
        break;
      }
      case Kind::array: push(heap_.as<ArrayData>(r)->page); break;
      case Kind::directory: push(heap_.as<DirectoryData>(r)->table); break;
      case Kind::mutex: {
        auto* m = heap_.as<MutexData>(r);
        push(m->owner);
        push(m->waiters);
        break;
      }
      case Kind::closure: push(heap_.as<ClosureData>(r)->object); break;
      case Kind::weakref: weakrefs.push_back(r); break;
      case Kind::thread: {
        auto* td = heap_.as<ThreadData>(r);
        Ref* fields = &td->frames;
        for (std::uint32_t i = 0; i < thread_ref_fields; ++i) push(fields[i]);
        if (td->frames != raw_null) {
          Frame* frames = heap_.as<Frame>(td->frames);
          for (std::uint32_t i = 0; i < td->frame_count; ++i) {
            push(frames[i].code);
            push(frames[i].self);
          }
        }
        if (td->os != raw_null) {
          Ref* os = heap_.as<Ref>(td->os);
          for (std::uint32_t i = 0; i < td->os_top; ++i) push(os[i]);
        }
        if (td->es != raw_null) {
          Catcher* es = heap_.as<Catcher>(td->es);
          for (std::uint32_t i = 0; i < td->es_top; ++i) push(es[i].klass);
        }
        break;
      }
    }
  }
  // Sweep, reading only the bitmaps: everything between the end of one live block and the start of
  // the next is one run of dead and free blocks. This pass writes nothing, so it too gives way to a
  // stop request. The runs then go to the allocator (host memory).
  std::vector<FreeRun> runs;
  // Word by word: coverage by live blocks toggles at each block's first unit and at the unit after
  // its last, so a prefix XOR of the toggles over the word's 64 bits gives each unit's coverage.
  // Gaps begin and end where the coverage changes, which a heap full of live objects never does.
  std::uint64_t gap_start = 0;
  bool in_gap = false;
  bool covered = false;     // the coverage of the unit before the word's first
  std::uint64_t carry = 0;  // the top end bit of the previous word, which toggles this word's bit 0
  for (std::size_t w = 0; w < marks.size(); ++w) {
    if ((w & 4095) == 4095 && stop_requested_.load(std::memory_order_relaxed)) {
      report = GcReport{};
      report.aborted = true;
      return report;
    }
    std::uint64_t p = marks[w] ^ ((ends[w] << 1) | carry);  // where the coverage toggles
    carry = ends[w] >> 63;
    p ^= p << 1;
    p ^= p << 2;
    p ^= p << 4;
    p ^= p << 8;
    p ^= p << 16;
    p ^= p << 32;
    std::uint64_t cover = covered ? ~p : p;
    // Before unit 0 counts as covered, so that a gap there is a change.
    std::uint64_t before_first = (w == 0 || covered) ? 1 : 0;
    for (std::uint64_t changes = cover ^ ((cover << 1) | before_first); changes != 0; changes &= changes - 1) {
      std::uint64_t at = (std::uint64_t(w) << 6) + static_cast<unsigned>(std::countr_zero(changes));
      if (at >= units) break;
      in_gap = !((cover >> (at & 63)) & 1);
      if (in_gap) gap_start = at;
      else runs.push_back({first + static_cast<Ref>(gap_start), static_cast<std::uint32_t>(at - gap_start)});
    }
    covered = cover >> 63;
  }
  const std::uint64_t at = in_gap ? gap_start : units;  // a gap at the end is a free tail
  // Freed: what was there after the last collection or allocated since, and is not live now.
  std::uint64_t before = wh->live_bytes + wh->allocated_since_gc;
  report.freed_bytes = before > live_bytes ? before - live_bytes : 0;
  Ref run_start = at < units ? first + static_cast<Ref>(at) : raw_null;  // a free tail
  // From here on the collection commits. Quickened copies of dead code go (a new object may take
  // the same reference), with the summon sites that pointed into them; then weak references.
  if (quick_.forget_if([&](Ref r) { return !is_marked(r); })) summon_cache_.clear();
  for (Ref w : weakrefs) {
    Ref& target = heap_.as<WeakrefData>(w)->target;
    if (target != raw_null && target != null_object_ && !is_tagged_int(target) && !is_marked(target)) target = null_object_;
  }
  // A free run at the very end goes back to the bump region instead.
  if (run_start != raw_null) wh->heap_top = std::uint64_t(run_start) << ref_shift;

  // No header is written: a run is made of dead blocks and free blocks, each of which still says
  // its own size, so the heap stays walkable; the allocator writes a header only where it splits a
  // run. (A run fits in 32 bits of units: the heap is at most 16 GiB.) The lists older builds kept
  // in the world header are emptied once.
  heap_.set_free_runs(std::move(runs));
  for (Ref& head : wh->small_free)
    if (head != raw_null) head = raw_null;
  if (wh->large_free != raw_null) wh->large_free = raw_null;

  report.live_bytes = live_bytes;
  wh->live_bytes = live_bytes;
  wh->allocated_since_gc = 0;
  // The next collection waits for at least a quarter of the heap's extent to be allocated, so the
  // sweep, whose cost follows the extent, costs a bounded amount per byte allocated even in a
  // large, mostly free heap.
  gc_threshold_ = std::max({options_.gc_min_bytes, live_bytes, heap_.heap_used() / 4});
  ++wh->gc_runs;
  gc_requested_ = false;
  report.ns = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - began).count());
  return report;
}

}  // namespace phantom::vm
