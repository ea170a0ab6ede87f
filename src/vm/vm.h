// Vm: the Phantom virtual machine over one world's arena (VM layer, public interface).
// Owns: the internal class table, class loading and lookup, the interpreter, the natives, the VM
// threads and their scheduler, safepoints and garbage collection. All of its persistent state is in
// the arena (heap.h, objects.h); the members below are caches rebuilt by attach() after every start.
//
// Threads: every VM thread is an arena object. One host thread, the executor (the one that calls
// run()), interleaves them in slices: a slice ends after a budget of calls and backward jumps, when the
// thread blocks, or when a stop is requested. Between slices every thread's registers are in the
// arena, so stop() (WorldControl, called by the store's snapshot) and the collector see a consistent
// heap. Blocking natives park only their VM thread (docs/vm.md "Threads").
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "classfile/class_file.h"
#include "host/clock.h"
#include "store/store.h"
#include "util/result.h"
#include "vm/heap.h"
#include "vm/quicken.h"
#include "vm/objects.h"

namespace phantom::vm {

// What the VM needs from the terminal; the system layer connects it to the host console.
class Console {
 public:
  virtual ~Console() = default;
  virtual void write_output(std::string_view bytes) = 0;      // program output (stdout)
  virtual void write_diagnostic(std::string_view text) = 0;   // the system's messages (stderr)
  // One byte of keyboard input if one is ready: 0..255, input_none, or input_eof. Never blocks.
  virtual int poll_input() = 0;
  virtual void flush() {}  // called when the executor parks or idles
  static constexpr int input_none = -2;
  static constexpr int input_eof = -1;
};

class Vm;

// What the boot thread of a new world runs when it is not a boot class's method 8: `object`'s method
// `ordinal` with `arg` (phantom run --boot-wasm runs a WASI command this way).
struct BootTarget {
  Ref object = raw_null;
  std::uint32_t ordinal = 0;
  Ref arg = raw_null;
  std::string name;
};

struct VmOptions {
  std::vector<std::string> class_path;   // directories or bulk container files
  std::vector<std::string> environment;  // "name=value", added to the kernel environment at first boot
  std::string boot_class;                // overrides root.boot
  // Makes the boot thread's target instead of the boot class (called by boot(), with the world
  // built: the root object, the internal classes, the bootstrap object). An error fails the boot.
  std::function<Result<BootTarget>(Vm&)> boot_target;
  std::uint32_t slice_budget = 20000;    // calls and backward jumps per slice
  std::uint64_t gc_min_bytes = 1u << 20;   // allocation between collections, at least
  // The longest step of the incremental collector (gc.cc); between two steps of a cycle the mutator
  // runs about as long as the step took (gc_step's pacing).
  std::uint32_t gc_step_us = 500;
  std::uint64_t slice_limit = 0;         // run() returns after this many slices and idle waits (0: never)
  std::atomic<bool>* snapshot_request = nullptr;  // set by the system: raised to ask for a snapshot now
  // Called on the executor when a thread ends with an uncaught exception: its id, name and what was
  // thrown (the system records it in the world's event log, docs/faults.md).
  std::function<void(std::uint32_t id, const std::string& name, const std::string& what)> on_uncaught;
  // Called when a quarantined thread is let run again (release_quarantined()), with its summary.
  std::function<void(std::uint32_t id, const std::string& summary)> on_released;
};

// Raised inside the VM when the heap is exhausted; the instruction is retried after a collection.
struct OutOfMemory {};

class Vm;
struct NativeCall;
enum class NativeOutcome { value, thrown, blocked };
using Native = NativeOutcome (*)(Vm& vm, NativeCall& call);

struct NativeCall {
  Ref self;
  Ref thread;
  Ref* args;  // args[0] = first argument
  std::uint32_t nargs;
  Ref result = raw_null;
  NativeOutcome ret(Ref value) {
    result = value;
    return NativeOutcome::value;
  }
};

enum class SliceOutcome { yield, blocked, finished, uncaught, killed, need_gc };

struct RunReport {
  int exit_code = 0;             // 0: every thread ended; 1: the boot thread failed
  bool exit_requested = false;
};

struct GcReport {
  std::uint64_t live_objects = 0, live_bytes = 0, freed_bytes = 0, ns = 0;
  bool aborted = false;  // a stop request came first; the cycle goes on later
};

// What the incremental collector has done in this process (benches, tests, the shell's stat).
struct GcStats {
  std::uint64_t cycles = 0, steps = 0, step_max_ns = 0;
};

class Vm final : public store::WorldControl {
 public:
  Vm(Heap& heap, host::Clock& clock, Console& console, VmOptions options);
  ~Vm() override;

  // A new (formatted, empty) world: builds the root object and the internal classes, loads the boot
  // class and creates the boot thread (pvm.md §3.9).
  Status boot();
  // An existing world: checks the header and rebuilds the caches; threads continue where they were.
  Status attach();
  // Runs VM threads until none is left, or until request_exit(). Call from one host thread only.
  RunReport run();
  void request_exit();
  // Wakes an idle executor (new console input).
  void wake_executor();
  // Runs `task` on the executor between slices, with the world held (the arena may be read and
  // written, objects allocated). From any host thread; wakes an idle executor. A task that runs out
  // of heap is retried once after a collection.
  void post(std::function<void()> task);

  // ---- extensions: the layers above add natives and services (design.md "Layers") ----
  enum Extension { ext_connections = 0, ext_ui, ext_wasm, ext_count };
  void set_native(ClassId id, std::uint32_t ordinal, Native fn) {
    if (natives_[id].size() <= ordinal) natives_[id].resize(ordinal + 1, nullptr);
    natives_[id][ordinal] = fn;
  }
  void set_extension(Extension which, void* service) { extensions_[which] = service; }
  // Completes a new instance of internal class `id` (`new .internal.window()` makes a window on the
  // desktop): called by new_instance after the allocation; may allocate (OutOfMemory retries the `new`).
  using Constructor = void (*)(Vm& vm, Ref obj);
  void set_constructor(ClassId id, Constructor fn) { constructors_[id] = fn; }
  // Whether something outside may still wake the world (an armed timer callback, a listening socket):
  // then threads all blocked on mutexes are not reported as stuck. Asked on the executor.
  void set_outside_wakers(std::function<bool()> any) { outside_wakers_ = std::move(any); }
  void* extension(Extension which) const { return extensions_[which]; }
  // Adds the system layer's figures (snapshots, pauses, uptime of this run) to .internal.stat.snapshot():
  // called on the executor with a `put(name, value)`; must not stop the VM.
  using StatPut = std::function<void(const char* name, std::int64_t value)>;
  void set_stat_source(std::function<void(const StatPut&)> source) { stat_source_ = std::move(source); }
  void add_stat_figures(const StatPut& put) const {
    if (stat_source_) stat_source_(put);
  }
  // Ends VM thread `id` (the shell's `kill`): it runs no more and leaves the thread list. Not the
  // calling thread itself. Returns a description of the thread that ended.
  Result<std::string> kill_thread(std::uint32_t id);
  // Slices run by this process (the `stt:` thread-switch counter).
  std::uint64_t slices_run() const { return slices_run_.load(std::memory_order_relaxed); }
  // For the fault note and the watchdog (docs/faults.md), read from other threads and signal handlers:
  // the id of the VM thread the executor is running now (0: none), and a counter that moves at every
  // safepoint a running thread reaches (every chunk of a turn).
  const std::atomic<std::uint32_t>& running_thread_id() const { return running_thread_id_; }
  std::uint64_t safepoints_reached() const { return safepoints_reached_.load(std::memory_order_relaxed); }
  // Quarantine (crash-loop recovery, docs/faults.md): the threads with these ids run no more, whatever
  // they wait for, until released; the flag is in the world. Call with the VM stopped or before run().
  // Returns a summary of each thread found.
  std::vector<std::string> quarantine_threads(const std::vector<std::uint32_t>& ids);
  // Lets a quarantined thread run again where it was; returns its summary.
  Result<std::string> release_quarantined(std::uint32_t id);
  std::vector<std::uint32_t> quarantined_threads();

  // store::WorldControl: the executor parks at its next safepoint; no arena write until resume().
  void stop() override;
  void resume() override;
  // The heap's high-water mark: the VM writes nothing of the arena above it (heap.h). Monotonic, so
  // pages freed at the top by a collection are still scanned once more.
  std::uint64_t written_extent() override {
    std::uint64_t top = heap_.header()->heap_top;
    std::uint64_t seen = high_water_.load(std::memory_order_relaxed);
    while (top > seen && !high_water_.compare_exchange_weak(seen, top)) {
    }
    return std::max(top, seen);
  }

  // A whole collection at once: finishes the cycle under way, then runs one from the beginning
  // (gc.cc). The VM itself collects incrementally, in steps of at most gc_step_us.
  GcReport collect_garbage();
  GcStats gc_stats() const { return {gc_cycles_, gc_steps_, gc_step_max_ns_}; }
  // One step of the collector now, beginning a cycle when none is under way (tests); true when the
  // collector is idle afterwards. With the executor parked or not running.
  bool collect_step() {
    if (gc_.phase == GcPhase::idle) gc_requested_ = true;
    gc_step();
    return gc_.phase == GcPhase::idle;
  }
  // Called after every incremental step with its duration (benches).
  void set_gc_step_observer(std::function<void(std::uint64_t ns)> observer) { gc_step_observer_ = std::move(observer); }

  // ---- stores of references into the arena (gc.cc: the collector's invariant) ----
  // Every store that overwrites a reference held by an object of the arena goes through set_ref,
  // set_page_ref or write_barrier, so that the incremental collector sees the value that goes.
  // Exempt: the slots of a thread's stacks, and the slots of an object allocated since the last
  // safepoint (fresh_page_refs), whose old values are nulls.
  void write_barrier(Ref old) {
    if (gc_marking_) [[unlikely]] gc_shade(old);
  }
  void set_ref(Ref& slot, Ref value) {
    write_barrier(slot);
    slot = value;
  }
  void set_page_ref(Ref page, std::uint32_t index, Ref value) { set_ref(heap_.as<Ref>(page)[index], value); }
  // The slots of a page allocated by the caller since the last safepoint, to fill without barrier.
  Ref* fresh_page_refs(Ref page) const { return heap_.as<Ref>(page); }
  // The target of a weak reference, read by the mutator: kept alive by a collection under way.
  Ref read_weak(Ref target) {
    write_barrier(target);
    return target;
  }

  // ---- used by natives and tests ----
  Heap& heap() { return heap_; }
  host::Clock& clock() { return clock_; }
  Console& console() { return console_; }
  Ref root() const { return heap_.header()->root; }
  Ref root_slot(std::uint32_t slot) const { return heap_.as<Ref>(root())[slot]; }
  void set_root_slot(std::uint32_t slot, Ref value) { set_ref(heap_.as<Ref>(root())[slot], value); }
  Ref internal_class(ClassId id) const { return internal_[id]; }
  Ref null_object() const { return null_object_; }
  bool is_null(Ref r) const { return r == raw_null || r == null_object_; }
  // Every Ref a program holds goes through class_of, is_a or header_of before its memory is read:
  // a tagged int (heap.h) has no memory.
  Ref class_of(Ref obj) const { return is_tagged_int(obj) ? internal_[cid_int] : heap_.hdr(obj)->klass; }
  // The object's header; for a tagged int a stand-in (an immutable 4-byte leaf of class int).
  const ObjectHeader* header_of(Ref obj) const { return is_tagged_int(obj) ? &tagged_int_header_ : heap_.hdr(obj); }
  ClassData* class_data(Ref cls) const { return heap_.as<ClassData>(cls); }
  std::int32_t class_id_of(Ref obj) const { return class_data(class_of(obj))->sys_table_id; }
  bool is_a(Ref obj, ClassId id) const { return obj != raw_null && class_of(obj) == internal_[id]; }
  // is_a(obj, cid_int), quickest for a tagged int.
  bool is_int(Ref obj) const {
    if (is_tagged_int(obj)) [[likely]] return true;
    return obj != raw_null && heap_.hdr(obj)->klass == internal_[cid_int];
  }
  bool is_or_child(Ref obj, Ref cls) const;
  std::string class_name(Ref cls) const;

  // Throws OutOfMemory; asks for a collection once enough has been allocated since the last one.
  Ref alloc(Ref cls, std::uint32_t flags, Kind kind, std::uint32_t size, bool zero = true) {
    Ref r = heap_.allocate(cls, flags, kind, size, zero);
    if (r == raw_null) [[unlikely]] throw OutOfMemory{};
    if (gc_marking_) [[unlikely]] gc_mark_new(r);
    if (heap_.header()->allocated_since_gc > gc_alloc_limit_) [[unlikely]] gc_requested_ = true;
    return r;
  }
  Ref new_instance(Ref cls);  // pvm.md §3.6 (`new`)
  Ref new_string(std::string_view text);
  Ref new_string_uninitialized(std::uint32_t length);  // the caller fills all `length` bytes
  // The string `head` followed by the decimal digits of `v`, in one allocation (the `string + int`
  // superinstructions); raw_null when it would be too long, which concat then reports.
  Ref string_plus_int(Ref head, std::int32_t v);
  Ref new_binary(std::uint32_t size);
  // An int as an object: tagged when it fits in 31 bits, else boxed (rarely). Identity of ints was
  // never meaningful (language.md §3.7.6): equal ints may be the same Ref or not.
  Ref new_int(std::int32_t v) {
    if (fits_tagged_int(v)) [[likely]] return tag_int(v);
    Ref o = alloc(internal_[cid_int], flag_internal | flag_int | flag_childfree | flag_immutable, Kind::bytes, 4, false);
    *heap_.as<std::int32_t>(o) = v;
    return o;
  }
  Ref new_long(std::int64_t v);
  Ref new_float(float v);
  Ref new_double(double v);
  Ref new_page(std::uint32_t slots, Ref fill);
  Ref new_array();
  std::string_view string_of(Ref s) const {
    auto* d = heap_.as<StringData>(s);
    return {d->bytes, d->length};
  }
  std::int32_t int_of(Ref o) const {
    if (is_tagged_int(o)) [[likely]] return untag_int(o);
    return *heap_.as<std::int32_t>(o);
  }
  // Arrays and pages.
  std::uint32_t page_slots(Ref page) const { return heap_.hdr(page)->size / sizeof(Ref); }
  const Ref* page_refs(Ref page) const { return heap_.as<Ref>(page); }
  std::uint32_t array_size(Ref array) const { return heap_.as<ArrayData>(array)->count; }
  Ref array_get(Ref array, std::uint32_t index) const;
  void array_set(Ref array, std::uint32_t index, Ref value);  // grows; throws OutOfMemory
  void array_push(Ref array, Ref value) { array_set(array, array_size(array), value); }
  void array_remove(Ref array, Ref value);  // first occurrence, order kept
  // Directories (string keys).
  Ref dir_get(Ref dir, std::string_view key) const;  // raw_null when absent
  // False: the key existed and !replace. `copy_key`: a new key is stored as a fresh copy of key_string.
  bool dir_put(Ref dir, Ref key_string, Ref value, bool replace, bool copy_key = false);
  bool dir_remove(Ref dir, std::string_view key);
  Ref new_directory();

  // Threads (natives).
  Ref current_thread() const { return current_; }
  ThreadData* thread_data(Ref t) const { return heap_.as<ThreadData>(t); }
  // A new thread running `ordinal` of `target` with one argument; raw_null when there is no such method.
  Ref start_thread(Ref target, std::uint32_t ordinal, Ref arg, std::string_view name);
  // True when `obj`'s class has its own code for `ordinal` (not an empty slot, nor, for a loaded
  // class, the root class's native stub it inherits).
  bool defines_method(Ref obj, std::uint32_t ordinal) const;
  void make_runnable(Ref thread);
  void wake_at(Ref thread, std::int64_t wall_ns);
  std::int64_t wall_now() const { return static_cast<std::int64_t>(clock_.wall_ns()); }
  // Runs `ordinal` of `target` to completion on a temporary thread (class loader, toString in print).
  // Returns the value; a Phantom exception comes back as an Error holding its text.
  Result<Ref> call_sync(Ref target, std::uint32_t ordinal, std::vector<Ref> args);
  std::string to_display(Ref obj);  // what consolePrint prints for obj
  // The native behind ordinal `index` of `target`'s class, or nullptr (then `error` says why). Public for
  // the wasm guest ABI's phantom_syscall (wasm/phantom_abi.cc).
  Native native_for(Ref target, std::uint32_t index, std::string& error) const;

  // Classes.
  Result<Ref> lookup_class(std::string_view name);              // pvm.md §3.10 (+ the class path)
  Result<Ref> load_class_from_path(std::string_view name);      // bootstrap.loadClass
  Result<Ref> define_class(const classfile::ClassFile& file, std::string_view source);

  // Errors raised by natives: a new string thrown as a Phantom exception.
  NativeOutcome throw_string(NativeCall& call, std::string_view text);
  // A native's sleep of `msec` milliseconds on the wall clock: blocks the calling thread until then.
  NativeOutcome sleep(NativeCall& call, std::int32_t msec);

  // The value of `name` in the world's kernel environment ("name=value" strings), if it is there.
  std::optional<std::string> environment_value(std::string_view name) const;

  // `phantom start`: loads `name` (class cache, then class path) and starts its method 8 in a new VM
  // thread with the bootstrap object. Only while the world is stopped (stop()) or not running.
  Result<std::string> start_class(std::string_view name);
  // Adds a class-path entry for this process only (not stored in the world).
  void add_class_path(const std::string& entry) { class_path_.push_back(entry); }

  // For the shell and `phantom inspect`: "id name: state, in class.method (ordinal n) line l, ip i".
  std::string thread_summary(Ref thread);
  std::vector<std::string> loaded_class_names() const;
  // Asks the system for a snapshot now (the shell's `snapshot`); false when nobody listens.
  bool request_snapshot() {
    if (!options_.snapshot_request) return false;
    options_.snapshot_request->store(true);
    return true;
  }

 private:
  // Keeps objects reachable for the collector while host code holds them between allocations;
  // everything added is dropped when the scope ends, also when an allocation throws.
  class TempRoots {
   public:
    explicit TempRoots(Vm& vm) : roots_(vm.nested_roots_), mark_(roots_.size()) {}
    ~TempRoots() { roots_.resize(mark_); }
    TempRoots(const TempRoots&) = delete;
    TempRoots& operator=(const TempRoots&) = delete;
    void add(Ref r) { roots_.push_back(r); }

   private:
    std::vector<Ref>& roots_;
    std::size_t mark_;
  };
  void build_natives();
  Status check_header();
  void set_tagged_int_header();  // after internal_ is known
  void rebuild_caches();
  Ref make_class(std::string_view name, ClassId id);
  void thread_list_remove(Ref thread);
  Ref find_cached_class(std::string_view name);
  Result<Ref> load_from_class_path(std::string_view name);
  SliceOutcome run_slice(Ref thread, std::int64_t budget);
  SliceOutcome run_turn(Ref thread);  // run_slice in chunks, ended early for a due timer (scheduler.cc)
  static constexpr std::int64_t turn_chunk_budget = 2000;
  void report_uncaught(Ref thread, bool killed = false);
  std::string backtrace(Ref thread);
  std::string frame_description(Ref thread, std::uint32_t frame);
  void safepoint();
  Ref new_thread(Ref target, Ref code, const std::vector<Ref>& args, std::string_view name);
  void fire_timers();
  bool timer_due() const;
  void wake_input_waiters();
  void run_posted();
  bool any_thread_alive();
  bool any_connection_waiter();
  void finish_thread(Ref thread);
  void release_held_threads();
  Ref pick_runnable();
  // ---- the incremental collector (gc.cc) ----
  enum class GcPhase : std::uint8_t { idle, clearing, marking, sweeping };
  struct MarkState {  // one marking: the cycle's, or PHANTOM_GC_VERIFY's stop-the-world check
    Ref first = 0, limit = 0;  // the heap's first unit; one past the last unit of its capacity
    std::uint64_t* marks = nullptr;  // a bit at the first unit of every marked block
    std::uint64_t* ends = nullptr;   // and one at its last unit, so that the sweep never reads the heap
    std::vector<Ref> gray, weakrefs;
    std::vector<std::pair<Ref, std::uint32_t>> partial;  // large objects being scanned, and how far
    std::uint64_t live_bytes = 0, live_objects = 0;
    bool is_marked(Ref r) const {
      if (r < first || r >= limit) return false;
      std::uint64_t bit = r - first;
      return (marks[bit >> 6] >> (bit & 63)) & 1;
    }
  };
  struct GcCycle : MarkState {
    GcPhase phase = GcPhase::idle;
    std::size_t cleared = 0;  // clearing: words zeroed so far
    // Sweeping: the extent it covers, the top when it began, where it is, and its gap state.
    std::uint64_t sweep_units = 0, sweep_top = 0;
    std::size_t sweep_word = 0;
    std::uint64_t gap_start = 0, carry = 0;
    bool in_gap = false, covered = false;
    FreeRuns runs;
    FreeRuns retired;  // the allocator's last list, freed a piece per step
    void dispose_some() {
      for (int i = 0; i < 32768 && !retired.empty(); ++i) retired.pop_front();
    }
  };
  struct GcBitmap {  // host memory (rule 4), sized for the heap's capacity, touched as far as used
    struct Free {
      void operator()(std::uint64_t* p) const { std::free(p); }
    };
    std::unique_ptr<std::uint64_t[], Free> bits;
    std::size_t capacity = 0;  // words
    std::size_t dirty = 0;     // words from here on are zero
    void ensure(std::size_t words);
  };
  void gc_step();  // one bounded step, at a safepoint of the executor
  bool gc_step_due() const { return gc_.phase != GcPhase::idle && steady_ns() >= gc_next_step_ns_; }
  static std::uint64_t steady_ns() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          std::chrono::steady_clock::now().time_since_epoch())
                                          .count());
  }
  bool gc_advance(std::uint64_t deadline_ns, GcReport& report);  // true when the collector is idle
  void gc_begin_clearing();
  bool gc_clear_some(std::uint64_t deadline_ns, std::uint64_t began_ns);
  void gc_begin_marking();
  void gc_mark_roots(MarkState& m);
  bool gc_drain(MarkState& m, std::uint64_t deadline_ns);
  void gc_finish_marking(GcReport& report);
  bool gc_sweep_some(std::uint64_t deadline_ns);
  void gc_finish_sweep();
  void gc_shade(Ref old);
  void gc_shade_into(MarkState& m, Ref r);
  void gc_scan(MarkState& m, Ref r);
  void gc_scan_refs(MarkState& m, const Ref* refs, std::uint32_t from, std::uint32_t to);
  static constexpr std::uint32_t scan_piece = 256;  // references of a large object scanned at once
  void gc_mark_new(Ref r);
  void gc_verify_marks();
  std::uint64_t gc_limit_units() const;

  Heap& heap_;
  host::Clock& clock_;
  Console& console_;
  VmOptions options_;
  std::vector<std::string> class_path_;

  // Caches (host memory), rebuilt by attach().
  Ref internal_[cid_count] = {};
  Ref null_object_ = raw_null;
  Ref sys_codes_ = raw_null;
  std::vector<std::vector<Native>> natives_;
  std::unordered_map<std::string, Ref> class_by_name_;  // lower-cased name -> class
  std::unordered_map<const std::uint8_t*, Ref> summon_cache_;  // summon_by_name site -> class
  GcBitmap gc_marks_, gc_ends_;  // the collector's bitmaps
  GcCycle gc_;
  bool gc_marking_ = false;  // the barrier and black allocation are on
  bool gc_verify_ = false;   // PHANTOM_GC_VERIFY=1
  GcReport last_report_;     // of the last marking that finished
  std::uint64_t gc_cycles_ = 0, gc_steps_ = 0, gc_step_max_ns_ = 0, gc_next_step_ns_ = 0;
  std::function<void(std::uint64_t)> gc_step_observer_;
  QuickCode quick_;  // host copies of code with superinstructions (quicken.h)

  // Scheduler (host memory; the persistent truth is each thread's state field).
  std::deque<Ref> run_queue_;
  Ref oom_retried_ = raw_null;  // the thread retried once after a collection that freed nothing new
  std::vector<std::pair<std::int64_t, Ref>> timers_;  // wall-clock wake-ups
  std::vector<Ref> input_waiters_;
  std::vector<Ref> killed_waiters_;  // killed while parked in a connection call (kill_thread): roots
  bool wake_pending_ = false;
  std::vector<std::function<void()>> posted_;  // guarded by control_mutex_
  std::atomic<std::uint64_t> slices_run_{0};
  std::atomic<std::uint32_t> running_thread_id_{0};
  std::atomic<std::uint64_t> safepoints_reached_{0};
  // The watchdog's sign of progress. Only the executor writes it: a plain increment, no locked instruction.
  void note_safepoint() {
    safepoints_reached_.store(safepoints_reached_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  std::atomic<std::uint64_t> high_water_{0};
  void* extensions_[ext_count] = {};
  Constructor constructors_[cid_count] = {};
  bool warned_all_blocked_ = false;
  std::function<bool()> outside_wakers_;
  std::function<void(const StatPut&)> stat_source_;
  std::unique_lock<std::mutex> world_lock_;      // the executor's hold on world_mutex_
  std::unique_lock<std::mutex> control_hold_;    // stop()'s hold on world_mutex_
  Ref current_ = raw_null;
  std::uint32_t nested_depth_ = 0;
  std::vector<Ref> nested_roots_;
  bool gc_requested_ = false;
  std::uint64_t gc_threshold_ = 0;  // max(gc_min_bytes, live bytes, a quarter of the heap's extent)
  // Allocation (allocated_since_gc) past which the running thread yields to the collector: the
  // threshold when idle; during a cycle, as much as the collector's last step got through (gc_step).
  std::uint64_t gc_alloc_limit_ = 0;
  Ref out_of_memory_error_ = raw_null;
  ObjectHeader tagged_int_header_{};  // header_of(a tagged int); its class is set with internal_

  // Safepoint hand-shake with stop()/resume() and wake-ups from other host threads.
  std::mutex world_mutex_;              // held by the executor while it touches the arena
  std::mutex control_mutex_;
  std::condition_variable control_cv_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> exit_requested_{false};
};

// Parses a class file from disk or a bulk container entry (used by the loader and the CLI).
Result<classfile::ClassFile> read_class(std::string_view path);

}  // namespace phantom::vm
