// Scheduler: VM threads, the executor loop, safepoints and nested calls (VM layer, pvm.md §5.1).
// One host thread (the executor) runs every VM thread in slices; see vm.h for why. The persistent
// truth about a thread is its state in the arena; the run queue, timers and input waiters here are
// caches that attach() rebuilds.
#include <algorithm>
#include <chrono>

#include "vm/internal_classes.h"
#include "vm/vm.h"

namespace phantom::vm {
namespace {

// A nested call's depth count and the interrupted thread, restored however the call ends.
struct NestedGuard {
  std::uint32_t& depth;
  Ref& current;
  Ref saved;
  NestedGuard(std::uint32_t& d, Ref& c) : depth(d), current(c), saved(c) { ++depth; }
  ~NestedGuard() {
    --depth;
    current = saved;
  }
};

}  // namespace

Ref Vm::new_thread(Ref target, Ref code, const std::vector<Ref>& args, std::string_view name) {
  Ref t = alloc(internal_[cid_thread], internal_class_info(cid_thread).instance_flags, Kind::thread, sizeof(ThreadData));
  TempRoots roots(*this);
  roots.add(t);
  auto region = [&](ClassId id, std::uint32_t bytes) {
    return alloc(internal_[id], internal_class_info(id).instance_flags, Kind::bytes, bytes);
  };
  Ref frames = region(cid_call_frame, 16 * sizeof(Frame));
  thread_data(t)->frames = frames;
  Ref os = region(cid_ostack, static_cast<std::uint32_t>(std::max<std::size_t>(64, args.size() + 16) * sizeof(Ref)));
  thread_data(t)->os = os;
  Ref is = region(cid_istack, 64 * 4);
  thread_data(t)->is = is;
  Ref es = region(cid_estack, 8 * sizeof(Catcher));
  thread_data(t)->es = es;
  Ref label = new_string(name);
  ThreadData* td = thread_data(t);
  td->name = label;
  td->owner = null_object_;
  td->environment = null_object_;
  td->result = null_object_;
  td->waiting_on = raw_null;
  td->id = heap_.header()->next_thread_id++;
  Frame* f = heap_.as<Frame>(frames);
  *f = Frame{code, target, 0, 0, 0, 0, 0, 0};
  std::copy(args.begin(), args.end(), heap_.as<Ref>(os));
  td->os_top = static_cast<std::uint32_t>(args.size());
  heap_.as<std::int32_t>(is)[0] = static_cast<std::int32_t>(args.size());
  td->is_top = 1;
  td->frame_count = 1;
  td->state = ThreadState::runnable;
  return t;
}

Ref Vm::start_thread(Ref target, std::uint32_t ordinal, Ref arg, std::string_view name) {
  ClassData* cd = class_data(class_of(target));
  Ref code = ordinal < cd->method_slots ? page_refs(cd->method_table)[ordinal] : raw_null;
  if (is_null(code)) return raw_null;
  Ref t = new_thread(target, code, {arg}, name);
  TempRoots roots(*this);
  roots.add(t);
  array_push(root_slot(root_thread_list), t);
  // Threads started while the boot method runs wait until it has returned (pvm.md §3.9 step 7).
  if (heap_.header()->state == static_cast<std::uint32_t>(WorldState::booting) && current_ != raw_null) {
    thread_data(t)->state = ThreadState::held;
  } else {
    make_runnable(t);
  }
  return t;
}

bool Vm::defines_method(Ref obj, std::uint32_t ordinal) const {
  ClassData* cd = class_data(class_of(obj));
  if (ordinal >= cd->method_slots) return false;
  Ref code = page_refs(cd->method_table)[ordinal];
  if (is_null(code)) return false;
  return cd->sys_table_id >= 0 || heap_.as<CodeData>(code)->owner != internal_[cid_void];
}

void Vm::make_runnable(Ref thread) {
  ThreadData* td = thread_data(thread);
  td->state = ThreadState::runnable;
  set_ref(td->waiting_on, raw_null);
  run_queue_.push_back(thread);
}

void Vm::wake_at(Ref thread, std::int64_t wall_ns) { timers_.emplace_back(wall_ns, thread); }

// A thread whose sleep ended runs next, before the threads that were runnable already (the wake-ups of
// a periodic task are then late by at most the rest of one slice chunk, not by a round of every busy
// thread: bench rt.jitter). Several due at once run in the order of their deadlines.
void Vm::fire_timers() {
  if (timers_.empty()) return;
  std::int64_t now = wall_now();
  auto due = std::partition(timers_.begin(), timers_.end(), [&](const auto& t) { return t.first > now; });
  std::sort(due, timers_.end(), [](const auto& a, const auto& b) { return a.first > b.first; });  // latest first
  for (auto it = due; it != timers_.end(); ++it) {
    ThreadData* td = thread_data(it->second);
    bool waiting = td->state == ThreadState::sleeping || td->state == ThreadState::wait_cond || td->state == ThreadState::wait_sema;
    if (!waiting || td->wake_ns != it->first) continue;
    make_runnable(it->second);
    run_queue_.pop_back();
    run_queue_.push_front(it->second);  // pushed latest first, so the earliest deadline ends up in front
  }
  timers_.erase(due, timers_.end());
}

bool Vm::timer_due() const {
  if (timers_.empty()) return false;
  std::int64_t now = wall_now();
  for (const auto& timer : timers_)
    if (timer.first <= now) return true;
  return false;
}

// One turn of thread `t`: slice_budget calls and backward jumps, in chunks; between chunks the turn
// ends early when a sleeping thread's time has come, so that it waits for at most one chunk.
SliceOutcome Vm::run_turn(Ref t) {
  std::int64_t left = options_.slice_budget;
  for (;;) {
    std::int64_t chunk = std::min<std::int64_t>(left, turn_chunk_budget);
    SliceOutcome outcome = run_slice(t, chunk);
    note_safepoint();
    left -= chunk;
    if (outcome != SliceOutcome::yield || left <= 0 || gc_requested_ || gc_step_due() || stop_requested_.load() || timer_due())
      return outcome;
  }
}

// Threads waiting for console input run again and issue their read once more.
void Vm::wake_input_waiters() {
  for (Ref t : input_waiters_)
    if (thread_data(t)->state == ThreadState::wait_input) make_runnable(t);
  input_waiters_.clear();
}

Ref Vm::pick_runnable() {
  while (!run_queue_.empty()) {
    Ref t = run_queue_.front();
    run_queue_.pop_front();
    ThreadData* td = thread_data(t);
    // A quarantined thread leaves the queue here; release_quarantined() puts it back.
    if (td->state == ThreadState::runnable && !(td->thread_flags & thread_quarantined)) return t;
  }
  return raw_null;
}

void Vm::thread_list_remove(Ref thread) { array_remove(root_slot(root_thread_list), thread); }

bool Vm::any_connection_waiter() {
  Ref list = root_slot(root_thread_list);
  for (std::uint32_t i = 0; i < array_size(list); ++i) {
    Ref t = array_get(list, i);
    if (!is_null(t) && thread_data(t)->state == ThreadState::wait_connection) return true;
  }
  return false;
}

bool Vm::any_thread_alive() { return array_size(root_slot(root_thread_list)) > 0; }

void Vm::release_held_threads() {
  heap_.header()->state = static_cast<std::uint32_t>(WorldState::running);
  Ref list = root_slot(root_thread_list);
  for (std::uint32_t i = 0; i < array_size(list); ++i) {
    Ref t = array_get(list, i);
    if (!is_null(t) && thread_data(t)->state == ThreadState::held) make_runnable(t);
  }
}

void Vm::finish_thread(Ref thread) {
  ThreadData* td = thread_data(thread);
  td->state = ThreadState::finished;
  thread_list_remove(thread);
  if (td->thread_flags & thread_boot) release_held_threads();
}

void Vm::request_exit() {
  {
    std::lock_guard lock(control_mutex_);
    exit_requested_ = true;
  }
  control_cv_.notify_all();
}

void Vm::wake_executor() {
  {
    std::lock_guard lock(control_mutex_);
    wake_pending_ = true;
  }
  control_cv_.notify_all();
}

void Vm::post(std::function<void()> task) {
  {
    std::lock_guard lock(control_mutex_);
    posted_.push_back(std::move(task));
    wake_pending_ = true;
  }
  control_cv_.notify_all();
}

void Vm::run_posted() {
  std::vector<std::function<void()>> work;
  {
    std::lock_guard lock(control_mutex_);
    if (posted_.empty()) return;
    work.swap(posted_);
  }
  for (auto& task : work) {
    try {
      task();
    } catch (const OutOfMemory&) {
      collect_garbage();
      try {
        task();
      } catch (const OutOfMemory&) {
        console_.write_diagnostic("phantom: the heap is full; an event from outside the world was dropped\n");
      }
    }
  }
}

Result<std::string> Vm::kill_thread(std::uint32_t id) {
  Ref list = root_slot(root_thread_list);
  for (std::uint32_t i = 0; i < array_size(list); ++i) {
    Ref t = array_get(list, i);
    if (is_null(t) || thread_data(t)->id != id) continue;
    if (t == current_) return make_error(Errc::invalid_argument, "thread {} is the calling thread", id);
    std::string summary = thread_summary(t);
    ThreadData* td = thread_data(t);
    // A waiter must not be handed a mutex or woken later: take it off the queue it waits in.
    if (td->waiting_on != raw_null && !is_tagged_int(td->waiting_on)) {
      Ref w = td->waiting_on;
      if (is_a(w, cid_mutex) || is_a(w, cid_cond) || is_a(w, cid_sema)) array_remove(heap_.as<MutexData>(w)->waiters, t);
    }
    set_ref(td->waiting_on, raw_null);
    td->wake_ns = 0;
    td->wait_phase = 0;
    // A thread parked in a connection call is also named in that layer's own list (host memory, this
    // run only), which wakes it later: it stays allocated until the process ends, so that the wake
    // finds a finished thread and not whatever reused its memory.
    if (td->state == ThreadState::wait_connection) killed_waiters_.push_back(t);
    finish_thread(t);
    return summary;
  }
  return make_error(Errc::not_found, "no VM thread {}", id);
}

void Vm::stop() {
  {
    std::lock_guard lock(control_mutex_);
    stop_requested_ = true;
  }
  control_cv_.notify_all();
  control_hold_ = std::unique_lock(world_mutex_);  // returns once the executor has parked or is idle
}

void Vm::resume() {
  {
    std::lock_guard lock(control_mutex_);
    stop_requested_ = false;
  }
  control_hold_.unlock();
  control_cv_.notify_all();
}

void Vm::safepoint() {
  note_safepoint();
  if (!stop_requested_.load()) return;
  console_.flush();
  // Parked here, a thread in a nested call is stopped on purpose, not stuck: the watchdog looks away.
  std::uint32_t running = running_thread_id_.exchange(0, std::memory_order_relaxed);
  world_lock_.unlock();
  {
    std::unique_lock lock(control_mutex_);
    control_cv_.wait(lock, [&] { return !stop_requested_.load(); });
  }
  world_lock_.lock();
  running_thread_id_.store(running, std::memory_order_relaxed);
}

RunReport Vm::run() {
  world_lock_ = std::unique_lock(world_mutex_);
  RunReport report;
  auto last_input_poll = std::chrono::steady_clock::now();
  std::uint64_t slices = 0;
  while (true) {
    safepoint();
    if (exit_requested_ || (options_.slice_limit && ++slices > options_.slice_limit)) {
      report.exit_requested = true;
      break;
    }
    if (nested_depth_ == 0 && (gc_requested_ || gc_step_due())) gc_step();
    run_posted();
    fire_timers();
    auto now = std::chrono::steady_clock::now();
    if (!input_waiters_.empty() && (wake_pending_ || now - last_input_poll > std::chrono::milliseconds(50))) {
      wake_input_waiters();
      last_input_poll = now;
    }
    Ref t = pick_runnable();
    if (t == raw_null) {
      if (!any_thread_alive()) break;
      if (gc_.phase != GcPhase::idle && nested_depth_ == 0) {  // nothing to run: the collector goes on at once
        gc_next_step_ns_ = 0;
        continue;
      }
      console_.flush();
      if (timers_.empty() && input_waiters_.empty() && !warned_all_blocked_ && !any_connection_waiter() &&
          !(outside_wakers_ && outside_wakers_())) {
        console_.write_diagnostic("phantom: every VM thread is blocked on a mutex, cond or sema; the world waits\n");
        warned_all_blocked_ = true;
      }
      std::int64_t wait_ns = options_.slice_limit ? 0 : 100'000'000;
      for (const auto& timer : timers_) wait_ns = std::min(wait_ns, timer.first - wall_now());
      if (!input_waiters_.empty()) wait_ns = std::min<std::int64_t>(wait_ns, 50'000'000);
      world_lock_.unlock();
      {
        std::unique_lock lock(control_mutex_);
        if (wait_ns > 0)
          control_cv_.wait_for(lock, std::chrono::nanoseconds(wait_ns),
                               [&] { return stop_requested_.load() || exit_requested_.load() || wake_pending_; });
      }
      world_lock_.lock();
      if (wake_pending_) {
        {
          std::lock_guard lock(control_mutex_);
          wake_pending_ = false;
        }
        wake_input_waiters();
      }
      continue;
    }
    warned_all_blocked_ = false;
    slices_run_.fetch_add(1, std::memory_order_relaxed);
    running_thread_id_.store(thread_data(t)->id, std::memory_order_relaxed);
    SliceOutcome outcome = run_turn(t);
    running_thread_id_.store(0, std::memory_order_relaxed);
    ThreadData* td = thread_data(t);
    switch (outcome) {
      case SliceOutcome::yield: run_queue_.push_back(t); break;
      case SliceOutcome::blocked:
        if (td->state == ThreadState::wait_input) input_waiters_.push_back(t);
        else if (td->state == ThreadState::runnable) run_queue_.push_back(t);
        break;
      case SliceOutcome::finished: finish_thread(t); break;
      case SliceOutcome::uncaught:
      case SliceOutcome::killed: {
        bool boot_thread = td->thread_flags & thread_boot;
        td->thread_flags |= thread_uncaught;
        report_uncaught(t, outcome == SliceOutcome::killed);
        finish_thread(t);
        if (boot_thread) {
          report.exit_code = 1;
          console_.flush();
          world_lock_.unlock();
          return report;
        }
        break;
      }
      case SliceOutcome::need_gc: {
        std::uint64_t before = heap_.header()->allocated_since_gc;
        GcReport gc = collect_garbage();
        if (gc.aborted) {
          run_queue_.push_front(t);
        } else if (gc.freed_bytes == 0 && before == 0 && (!heap_.has_free_runs() || oom_retried_ == t)) {
          // Nothing to free, and no free space the thread has not already tried: it cannot go on,
          // and ends as with any uncaught exception (the boot thread's ends the run with exit 1).
          oom_retried_ = raw_null;
          bool boot_thread = td->thread_flags & thread_boot;
          td->thread_flags |= thread_uncaught;
          set_ref(td->result, out_of_memory_error_);
          report_uncaught(t);
          finish_thread(t);
          if (boot_thread) {
            report.exit_code = 1;
            console_.flush();
            world_lock_.unlock();
            return report;
          }
        } else {
          // Nothing new freed but free runs exist: space freed by a run before a restart, whose runs
          // (host memory) were lost, is found again by this cycle's sweep. One more try; a request
          // that fits none of them ends here the next time.
          oom_retried_ = (gc.freed_bytes == 0 && before == 0) ? t : raw_null;
          run_queue_.push_front(t);
        }
        break;
      }
    }
  }
  console_.flush();
  world_lock_.unlock();
  return report;
}

Result<Ref> Vm::call_sync(Ref target, std::uint32_t ordinal, std::vector<Ref> args) {
  if (nested_depth_ >= 32) return make_error(Errc::invalid_argument, "nested calls (class loader, toString) are 32 deep");
  target = target == raw_null ? null_object_ : target;
  ClassData* cd = class_data(class_of(target));
  Ref code = ordinal < cd->method_slots ? page_refs(cd->method_table)[ordinal] : raw_null;
  if (is_null(code)) return make_error(Errc::not_found, "class {} has no method {}", class_name(class_of(target)), ordinal);
  NestedGuard guard(nested_depth_, current_);
  TempRoots roots(*this);
  for (Ref a : args) roots.add(a);
  Ref t = new_thread(target, code, args, "nested call");
  roots.add(t);
  thread_data(t)->thread_flags |= thread_nested;
  for (;;) {
    SliceOutcome outcome = run_slice(t, options_.slice_budget);
    ThreadData* td = thread_data(t);
    switch (outcome) {
      case SliceOutcome::yield:
        if (world_lock_.owns_lock()) safepoint();
        continue;
      case SliceOutcome::finished: return td->result;
      case SliceOutcome::blocked:
        return make_error(Errc::invalid_argument, "a class loader or toString method blocked (sleep, lock, input); "
                                                  "nested calls must not block");
      case SliceOutcome::need_gc: return make_error(Errc::no_space, "out of memory in a nested call");
      case SliceOutcome::uncaught:
      case SliceOutcome::killed: {
        Ref exc = td->result;
        std::string text = is_a(exc, cid_string) ? std::string(string_of(exc)) : class_name(class_of(exc));
        return make_error(Errc::invalid_argument, "{}", text);
      }
    }
  }
}

std::string Vm::to_display(Ref obj) {
  obj = obj == raw_null ? null_object_ : obj;
  if (is_a(obj, cid_string)) return std::string(string_of(obj));
  if (is_a(obj, cid_int)) return fmt::format("{}", int_of(obj));
  auto text = call_sync(obj, 5, {});
  if (text.ok() && is_a(*text, cid_string)) return std::string(string_of(*text));
  return text.ok() ? class_name(class_of(obj)) : fmt::format("(toString failed: {})", text.error().message);
}

std::string Vm::frame_description(Ref thread, std::uint32_t i) {
  ThreadData* td = thread_data(thread);
  const Frame& f = heap_.as<Frame>(td->frames)[i];
  auto* code = heap_.as<CodeData>(f.code);
  std::uint32_t ip = i + 1 == td->frame_count ? f.ip : (f.ip > 0 ? f.ip - 1 : 0);
  std::string line;
  if (code->lines != raw_null) {
    auto* pairs = reinterpret_cast<const LinePair*>(heap_.as<BinaryData>(code->lines)->bytes);
    std::uint32_t n = heap_.as<BinaryData>(code->lines)->length / sizeof(LinePair);
    for (std::uint32_t k = 0; k < n && pairs[k].ip <= ip; ++k) line = fmt::format(" line {}", pairs[k].line);
  }
  std::string owner = code->owner == internal_[cid_void] && code->length == 3 ? class_name(class_of(f.self)) : class_name(code->owner);
  std::string method = code->name == raw_null ? std::string("?") : std::string(string_of(code->name));
  return fmt::format("{}.{} (ordinal {}){}, ip {}", owner, method, code->ordinal, line, ip);
}

std::string Vm::backtrace(Ref thread) {
  ThreadData* td = thread_data(thread);
  std::string out;
  for (std::uint32_t i = td->frame_count; i-- > 0;) out += fmt::format("    at {}\n", frame_description(thread, i));
  return out;
}

std::string Vm::thread_summary(Ref thread) {
  static const char* const states[] = {"runnable", "sleeping", "waiting for a mutex", "waiting on a condition",
                                       "waiting on a semaphore", "waiting for input", "held", "finished",
                                       "waiting on a connection"};
  ThreadData* td = thread_data(thread);
  auto state = static_cast<std::uint32_t>(td->state);
  std::string name = td->name == raw_null ? std::string("?") : std::string(string_of(td->name));
  std::string where = td->frame_count ? frame_description(thread, td->frame_count - 1) : std::string("(no frame)");
  return fmt::format("{} {}: {}{}, in {}", td->id, name, state < 9 ? states[state] : "?",
                     (td->thread_flags & thread_quarantined) ? " (quarantined: `resume` lets it run)" : "", where);
}

Result<std::string> Vm::start_class(std::string_view name) {
  if (heap_.header()->state == static_cast<std::uint32_t>(WorldState::empty))
    return make_error(Errc::invalid_argument, "the world has not booted yet");
  try {
    auto cls = load_class_from_path(name);
    if (!cls.ok()) return cls.take_error();
    TempRoots roots(*this);
    roots.add(*cls);
    Ref object = new_instance(*cls);
    roots.add(object);
    if (!defines_method(object, 8)) return make_error(Errc::invalid_argument, "class {} has no method 8 to run", name);
    Ref t = start_thread(object, 8, root_slot(root_bootstrap), name);
    if (t == raw_null) return make_error(Errc::invalid_argument, "class {} has no method 8 to run", name);
    return fmt::format("thread {}", thread_data(t)->id);
  } catch (const OutOfMemory&) {
    return make_error(Errc::no_space, "the world's heap is full");
  }
}

std::vector<std::string> Vm::loaded_class_names() const {
  std::vector<std::string> names;
  for (const auto& [key, cls] : class_by_name_) names.push_back(class_name(cls));
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

void Vm::report_uncaught(Ref thread, bool killed) {
  ThreadData* td = thread_data(thread);
  Ref exc = td->result;
  std::string text;
  if (is_a(exc, cid_string)) text = fmt::format("'{}'", string_of(exc));
  else if (is_a(exc, cid_int)) text = fmt::format("{}", int_of(exc));
  else text = fmt::format("an object of class {}", class_name(class_of(exc)));
  std::string name = td->name == raw_null ? std::string("?") : std::string(string_of(td->name));
  console_.flush();
  const char* what = killed ? "stopped: malformed code:" : "uncaught exception";
  console_.write_diagnostic(fmt::format("phantom: thread {} ({}): {} {}\n{}", td->id, name, what, text, backtrace(thread)));
  if (options_.on_uncaught) options_.on_uncaught(td->id, name, fmt::format("{} {}", what, text));
}

std::vector<std::string> Vm::quarantine_threads(const std::vector<std::uint32_t>& ids) {
  std::vector<std::string> found;
  Ref list = root_slot(root_thread_list);
  for (std::uint32_t i = 0; i < array_size(list); ++i) {
    Ref t = array_get(list, i);
    if (is_null(t) || std::find(ids.begin(), ids.end(), thread_data(t)->id) == ids.end()) continue;
    thread_data(t)->thread_flags |= thread_quarantined;
    found.push_back(thread_summary(t));
  }
  return found;
}

Result<std::string> Vm::release_quarantined(std::uint32_t id) {
  Ref list = root_slot(root_thread_list);
  for (std::uint32_t i = 0; i < array_size(list); ++i) {
    Ref t = array_get(list, i);
    if (is_null(t) || thread_data(t)->id != id) continue;
    ThreadData* td = thread_data(t);
    if (!(td->thread_flags & thread_quarantined)) return make_error(Errc::invalid_argument, "thread {} is not quarantined", id);
    td->thread_flags &= ~thread_quarantined;
    // Where it was: as a resume does (attach()), it runs, waits for its time, or waits to be woken.
    if (td->state == ThreadState::runnable || td->state == ThreadState::wait_input || td->state == ThreadState::wait_connection)
      make_runnable(t);
    else if (td->state == ThreadState::sleeping || td->wake_ns != 0)
      wake_at(t, td->wake_ns);
    std::string summary = thread_summary(t);
    if (options_.on_released) options_.on_released(id, summary);
    return summary;
  }
  return make_error(Errc::not_found, "no VM thread {}", id);
}

std::vector<std::uint32_t> Vm::quarantined_threads() {
  std::vector<std::uint32_t> ids;
  Ref list = root_slot(root_thread_list);
  for (std::uint32_t i = 0; i < array_size(list); ++i) {
    Ref t = array_get(list, i);
    if (!is_null(t) && (thread_data(t)->thread_flags & thread_quarantined)) ids.push_back(thread_data(t)->id);
  }
  return ids;
}

}  // namespace phantom::vm
