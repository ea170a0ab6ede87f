// Interpreter: runs a call of the runtime for a budget of fuel (wasm layer). See code.h for the code
// it runs and runtime_internal.h for the state it keeps in the arena.
//
// One host function runs every wasm function of a call: a wasm-to-wasm call pushes a frame on a host
// vector and jumps, it never recurses on the C++ stack (so a guest cannot exhaust the host stack, and
// the frames can be written to the arena as data). Dispatch is direct threading: each op slot holds its
// handler's address (GCC's labels as values).
//
// Between runs the call's state is all in the arena: the value stack is an arena blob that the code
// works on in place, and on leaving, the frames that changed are written as (function, wasm offset of
// a resume point, stack base). A run ends only at a resume point (a loop header's safepoint, or a
// call, host calls included, or memory.grow/table.grow when the heap is full), so the saved offset
// always names an instruction that is safe to run again.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <optional>

#include "util/bytes.h"
#include "wasm/numeric.h"
#include "wasm/runtime_internal.h"

namespace phantom::wasm {
namespace {

const void* const* handler_table = nullptr;

constexpr const char* trap_out_of_bounds_memory = "out of bounds memory access";
constexpr const char* trap_out_of_bounds_table = "out of bounds table access";
constexpr const char* trap_stack_exhausted = "call stack exhausted";

struct Frame {
  FunctionRef* function;  // a wasm function
  const Slot* pc;         // where this frame continues (caller frames: after their call)
  Cell* fp;
};

using T_I32 = std::uint32_t;
using T_I64 = std::uint64_t;
using T_F32 = float;
using T_F64 = double;
inline std::uint32_t read_I32(Cell c) { return static_cast<std::uint32_t>(c); }
inline std::uint64_t read_I64(Cell c) { return c; }
inline float read_F32(Cell c) { return std::bit_cast<float>(static_cast<std::uint32_t>(c)); }
inline double read_F64(Cell c) { return std::bit_cast<double>(c); }
inline Cell write_I32(std::uint32_t v) { return v; }
inline Cell write_I64(std::uint64_t v) { return v; }
inline Cell write_F32(float v) { return std::bit_cast<std::uint32_t>(v); }
inline Cell write_F64(double v) { return std::bit_cast<std::uint64_t>(v); }

// A function's locals and a branch's or return's values are a few cells: copied inline, a call of
// memset/memmove costs more than the copy (measured on wasm.fib).
inline void zero_cells(Cell* to, std::uint64_t n) {
  if (n > 4) {
    std::memset(to, 0, n * sizeof(Cell));
    return;
  }
  for (std::uint64_t i = 0; i < n; ++i) to[i] = 0;
}
// `to` is at or below `from` (values move down the stack).
inline void move_cells_down(Cell* to, const Cell* from, std::uint64_t n) {
  if (n == 1) {
    *to = *from;
    return;
  }
  std::memmove(to, from, n * sizeof(Cell));
}

class Run {
 public:
  Run(Engine& engine, Ref call) : engine_(engine), vm_(engine.machine()), call_(call) {}
  CallOutcome go(std::uint64_t fuel);
  static const void* const* handlers(Engine& engine) {
    if (!handler_table) {
      Run probe(engine, vm::raw_null);
      probe.execute(0, true);  // only publishes the table (the labels exist only inside execute)
    }
    return handler_table;
  }

 private:
  enum class Exit { finished, pause, trap, exit, block, out_of_memory };
  Exit execute(std::uint64_t fuel, bool table_only = false);
  bool load_frames(std::string& problem);
  void save_frames();
  void release_stack();
  CallOutcome outcome_from_call();
  std::optional<Exit> call_host(FunctionRef& callee, Cell* sp, const Slot* pc, InstanceCache* inst, std::uint8_t* mem,
                                std::uint64_t mem_size);
  std::string location(const Frame& frame, const Slot* at) const;

  Engine& engine_;
  vm::Vm& vm_;
  Ref call_;
  StoreCache* store_ = nullptr;
  Cell* stack_ = nullptr;
  Cell* stack_end_ = nullptr;
  std::vector<Frame> frames_;
  std::size_t low_ = 0;           // saved records below this index are still valid
  std::uint32_t frame_limit_ = 0;
  // At a pause, block or trap: where the top frame stopped, and its operand height.
  const Slot* stop_pc_ = nullptr;
  Cell* stop_sp_ = nullptr;
  Cell* host_sp_ = nullptr;  // after a host call that completed: the height past its results
  std::string trap_;
  std::int32_t exit_code_ = 0;
  std::int64_t wake_ns_ = 0;
  bool wait_input_ = false;
};

// A call of host function `callee` with its arguments on top of the stack; `pc` is the call op (null
// for the entry). On completion the results replace the arguments and nullopt is returned: the caller
// goes on after the call, at host_sp_ (sp is passed by value: its address taken would keep execute()'s
// sp in memory). Otherwise the way execute() stops, with the stop state set.
std::optional<Run::Exit> Run::call_host(FunctionRef& callee, Cell* sp, const Slot* pc, InstanceCache* inst,
                                        std::uint8_t* mem, std::uint64_t mem_size) {
  const FuncType& type = *callee.type;
  std::size_t np = type.params.size(), nr = type.results.size();
  std::vector<Cell> results(nr);
  Cell* args = sp - np;
  HostCall hc{engine_, vm_, call_, store_->store, inst ? inst->instance : vm::raw_null,
              std::span<const Cell>(args, np), std::span<Cell>(results)};
  hc.memory = mem;
  hc.memory_size = mem_size;
  hc.context = callee.host_context;
  HostOutcome ho;
  try {
    ho = callee.host->fn(hc);
  } catch (const vm::OutOfMemory&) {
    if (!pc) throw;  // the entry: nothing is saved, the native runs the call again
    stop_pc_ = pc;
    stop_sp_ = sp;
    return Exit::out_of_memory;
  }
  switch (ho) {
    case HostOutcome::done:
      std::copy(results.begin(), results.end(), args);
      host_sp_ = args + nr;
      if (!pc) return Exit::finished;  // the entry function itself was a host function
      return std::nullopt;
    case HostOutcome::trap:
      trap_ = hc.trap.empty() ? std::string("host function failed") : hc.trap;
      trap_ += fmt::format(" (in host function {})", callee.name);
      stop_pc_ = pc;
      stop_sp_ = sp;
      return Exit::trap;
    case HostOutcome::exit:
      exit_code_ = hc.exit_code;
      return Exit::exit;
    case HostOutcome::block:
      if (!pc) {  // the entry function blocks: nothing to save, run() calls it again
        wake_ns_ = hc.wake_ns;
        wait_input_ = hc.wait_input;
        frames_.push_back(Frame{&callee, nullptr, sp - np});
        low_ = frames_.size();  // the saved record (not started) stays as it is
        return Exit::block;
      }
      wake_ns_ = hc.wake_ns;
      wait_input_ = hc.wait_input;
      stop_pc_ = pc;
      stop_sp_ = sp;
      return Exit::block;
  }
  return Exit::trap;  // not reached: every outcome is handled above
}

std::string Run::location(const Frame& frame, const Slot* at) const {
  const CompiledFunction& code = *frame.function->code;
  auto index = static_cast<std::uint32_t>(at - code.code.data());
  return fmt::format("in function {} (index {}) at offset {:#x}", frame.function->name, code.function_index,
                     code.wasm_offset_at(index));
}

bool Run::load_frames(std::string& problem) {
  auto depth = static_cast<std::uint32_t>(int_slot(vm_, call_, call_depth));
  auto* saved = reinterpret_cast<const SavedFrame*>(blob_data(vm_, slot(vm_, call_, call_frames)));
  frames_.clear();
  frames_.reserve(depth + 16);
  for (std::uint32_t i = 0; i < depth; ++i) {
    const SavedFrame& s = saved[i];
    FunctionRef& f = function_ref(engine_, *store_, s.function);
    Frame frame{&f, nullptr, stack_ + s.fp};
    if (s.wasm_offset == not_started) {
      if (i + 1 != depth) {
        problem = "a frame below the top was never started";
        return false;
      }
      frames_.push_back(frame);
      continue;
    }
    if (!f.code) {
      problem = fmt::format("frame {} names the host function {}", i, f.name);
      return false;
    }
    std::int64_t at = f.code->resume_point(s.wasm_offset);
    if (at < 0) {
      problem = fmt::format("frame {} stops at offset {:#x} of {}, which is no resume point", i, s.wasm_offset, f.name);
      return false;
    }
    if (i + 1 == depth) {
      frame.pc = f.code->code.data() + at;
    } else {
      // A caller continues after its call: at the op that follows the call op.
      auto next = std::upper_bound(f.code->pcs.begin(), f.code->pcs.end(), static_cast<std::uint32_t>(at),
                                   [](std::uint32_t index, const PcEntry& e) { return index < e.code_index; });
      frame.pc = f.code->code.data() + next->code_index;
    }
    frames_.push_back(frame);
  }
  low_ = depth ? depth - 1 : 0;
  return true;
}

void Run::save_frames() {
  auto* saved = reinterpret_cast<SavedFrame*>(blob_data(vm_, slot(vm_, call_, call_frames)));
  for (std::size_t i = low_; i < frames_.size(); ++i) {
    const Frame& f = frames_[i];
    const CompiledFunction& code = *f.function->code;
    SavedFrame s{};
    s.function = f.function->number;
    s.fp = static_cast<std::uint32_t>(f.fp - stack_);
    if (i + 1 == frames_.size()) {
      s.wasm_offset = code.wasm_offset_at(static_cast<std::uint32_t>(stop_pc_ - code.code.data()));
      s.height = static_cast<std::uint32_t>(stop_sp_ - f.fp);
    } else {
      // f.pc is just after its call op: the call's own offset is that of the op before.
      s.wasm_offset = code.wasm_offset_at(static_cast<std::uint32_t>(f.pc - code.code.data()) - 1);
    }
    saved[i] = s;
  }
  set_slot(vm_, call_, call_depth, vm_.new_int(static_cast<std::int32_t>(frames_.size())));
}

CallOutcome Run::outcome_from_call() {
  CallOutcome out;
  switch (int_slot(vm_, call_, call_status)) {
    case status_finished: {
      out.status = CallOutcome::finished;
      FunctionRef& f = function_ref(engine_, *store_, static_cast<std::uint32_t>(int_slot(vm_, call_, call_function)));
      auto* results = reinterpret_cast<const Cell*>(blob_data(vm_, slot(vm_, call_, call_results)));
      for (std::size_t i = 0; i < f.type->results.size(); ++i) out.results.push_back(Value{f.type->results[i], results[i]});
      break;
    }
    case status_trapped: {
      out.status = CallOutcome::trapped;
      std::string text(vm_.string_of(slot(vm_, call_, call_message)));
      auto nl = text.find('\n');
      out.trap_message = text.substr(0, nl);
      out.trap = nl == std::string::npos ? text : text.substr(0, nl) + " " + text.substr(nl + 1);
      break;
    }
    case status_exited:
      out.status = CallOutcome::exited;
      out.exit_code = int_slot(vm_, call_, call_exit_code);
      break;
    default:
      out.status = CallOutcome::yielded;
  }
  return out;
}

// An ended call gives its stack and frames back to the store for the next call.
void Run::release_stack() {
  Ref store = store_->store;
  set_slot(vm_, store, store_spare_stack, slot(vm_, call_, call_stack));
  set_slot(vm_, store, store_spare_frames, slot(vm_, call_, call_frames));
  set_slot(vm_, call_, call_stack, vm::raw_null);
  set_slot(vm_, call_, call_frames, vm::raw_null);
}

CallOutcome Run::go(std::uint64_t fuel) {
  store_ = &store_cache(engine_, slot(vm_, call_, call_store_ref));
  if (int_slot(vm_, call_, call_status) != status_running) return outcome_from_call();
  Ref stack_blob = slot(vm_, call_, call_stack);
  stack_ = reinterpret_cast<Cell*>(blob_data(vm_, stack_blob));
  stack_end_ = stack_ + blob_size(vm_, stack_blob) / 8;
  frame_limit_ = blob_size(vm_, slot(vm_, call_, call_frames)) / sizeof(SavedFrame);

  auto finish_trap = [&](const std::string& message, const std::string& where) {
    set_slot(vm_, call_, call_message, vm_.new_string(where.empty() ? message : message + "\n" + where));
    set_slot(vm_, call_, call_status, vm_.new_int(status_trapped));
    release_stack();
    return outcome_from_call();
  };
  std::string problem;
  if (!load_frames(problem)) return finish_trap("damaged call state", problem);

  Exit exit = execute(fuel);
  CallOutcome out;
  switch (exit) {
    case Exit::finished: {
      FunctionRef& f = function_ref(engine_, *store_, static_cast<std::uint32_t>(int_slot(vm_, call_, call_function)));
      // Into the blob begin_call made: the end of a call allocates nothing it could fail on.
      std::memcpy(blob_data(vm_, slot(vm_, call_, call_results)), stack_, f.type->results.size() * sizeof(Cell));
      set_slot(vm_, call_, call_depth, vm_.new_int(0));
      set_slot(vm_, call_, call_status, vm_.new_int(status_finished));
      release_stack();
      return outcome_from_call();
    }
    case Exit::trap: {
      std::string where = frames_.empty() || !frames_.back().function->code ? std::string() : location(frames_.back(), stop_pc_);
      return finish_trap(trap_, where);
    }
    case Exit::exit:
      set_slot(vm_, call_, call_exit_code, vm_.new_int(exit_code_));
      set_slot(vm_, call_, call_status, vm_.new_int(status_exited));
      release_stack();
      return outcome_from_call();
    case Exit::pause:
      save_frames();
      out.status = CallOutcome::yielded;
      return out;
    case Exit::block:
      save_frames();
      out.status = CallOutcome::blocked;
      out.wake_ns = wake_ns_;
      out.wait_input = wait_input_;
      return out;
    case Exit::out_of_memory:
      save_frames();
      throw vm::OutOfMemory{};
  }
  return out;
}

Run::Exit Run::execute(std::uint64_t fuel_budget, bool table_only) {
  static const void* const table[] = {
#define WASM_OP(name) &&L_##name,
#include "wasm/internal_ops.def"
#undef WASM_OP
  };
  if (table_only) {
    handler_table = table;
    return Exit::finished;
  }
  auto fuel = static_cast<std::int64_t>(std::min<std::uint64_t>(fuel_budget, INT64_MAX));
  Frame* frame = &frames_.back();
  InstanceCache* inst = nullptr;
  Cell* fp = frame->fp;
  Cell* sp = nullptr;
  const Slot* pc = nullptr;
  std::uint8_t* mem = nullptr;
  std::uint64_t mem_size = 0;
  FunctionRef* callee = nullptr;
  const char* trap_text = nullptr;

#define NEXT(n)            \
  do {                     \
    pc += (n);             \
    goto* pc->handler;     \
  } while (0)
#define TRAP(text)         \
  do {                     \
    trap_text = (text);    \
    goto trap;             \
  } while (0)
#define LOAD_MEMORY()                                                                   \
  do {                                                                                  \
    if (inst->memory != vm::raw_null) {                                                 \
      Ref data_ = slot(vm_, inst->memory, memory_data);                                 \
      mem = reinterpret_cast<std::uint8_t*>(blob_data(vm_, data_));                     \
      mem_size = blob_size(vm_, data_);                                                 \
    } else {                                                                            \
      mem = nullptr;                                                                    \
      mem_size = 0;                                                                     \
    }                                                                                   \
  } while (0)

  // Resume the top frame, or enter it when it was never started.
  if (frame->pc == nullptr) {
    callee = frame->function;
    frames_.pop_back();
    sp = fp + callee->type->params.size();
    pc = nullptr;
    goto enter;
  }
  {
    auto* saved = reinterpret_cast<const SavedFrame*>(blob_data(vm_, slot(vm_, call_, call_frames)));
    sp = fp + saved[frames_.size() - 1].height;
  }
  pc = frame->pc;
  inst = frame->function->instance;
  LOAD_MEMORY();
  goto* pc->handler;

enter:
  // Calls `callee` with its arguments on top of the stack; `pc` is the call op (null for the entry).
  if (callee->host || !callee->code) {
    if (!callee->host) {
      trap_ = fmt::format("unknown host function {}: this build of Phantom does not provide it", callee->name);
      stop_pc_ = pc;
      stop_sp_ = sp;
      return Exit::trap;
    }
    // In a function of its own: a computed goto must not leave the scope of its locals (a string, a
    // vector), whose destructors it would skip.
    std::optional<Exit> stop = call_host(*callee, sp, pc, inst, mem, mem_size);
    if (stop) return *stop;
    sp = host_sp_;
    LOAD_MEMORY();
    NEXT(1 + (pc[0].handler == table[static_cast<int>(Op::call)] ? 1 : 2));
  }
  {
    const CompiledFunction& code = *callee->code;
    Cell* new_fp = sp - code.params;
    if (frames_.size() >= frame_limit_ || new_fp + code.max_height > stack_end_) {
      stop_pc_ = pc;
      stop_sp_ = sp;
      trap_ = trap_stack_exhausted;
      return Exit::trap;
    }
    if (pc) frames_.back().pc = pc + (pc[0].handler == table[static_cast<int>(Op::call)] ? 2 : 3);
    frames_.push_back(Frame{callee, nullptr, new_fp});
    zero_cells(new_fp + code.params, code.locals);
    fp = new_fp;
    sp = new_fp + code.params + code.locals;
    pc = code.code.data();
    if (callee->instance != inst) {  // the memory can change only by memory.grow or a host call, which reload it
      inst = callee->instance;
      LOAD_MEMORY();
    }
    goto* pc->handler;
  }

trap:
  trap_ = trap_text;
trap_formatted:
  stop_pc_ = pc;
  stop_sp_ = sp;
  return Exit::trap;

pause:
  stop_pc_ = pc;
  stop_sp_ = sp;
  return Exit::pause;

  // ---- control ----
L_unreachable:
  TRAP("unreachable executed");
L_jump:
  pc = pc[1].target;
  goto* pc->handler;
L_br_if:
  if (read_I32(*--sp)) {
    pc = pc[1].target;
    goto* pc->handler;
  }
  NEXT(2);
L_br_unless:
  if (!read_I32(*--sp)) {
    pc = pc[1].target;
    goto* pc->handler;
  }
  NEXT(2);
L_br_copy: {
  std::uint64_t n = pc[2].u64;
  Cell* to = fp + pc[3].u64;
  move_cells_down(to, sp - n, n);
  sp = to + n;
  pc = pc[1].target;
  goto* pc->handler;
}
L_br_if_copy:
  if (read_I32(*--sp)) {
    std::uint64_t n = pc[2].u64;
    Cell* to = fp + pc[3].u64;
    move_cells_down(to, sp - n, n);
    sp = to + n;
    pc = pc[1].target;
    goto* pc->handler;
  }
  NEXT(4);
L_br_table: {
  std::uint64_t count = pc[1].u64;
  std::uint64_t i = read_I32(*--sp);
  if (i > count) i = count;
  const Slot* entry = pc + 2 + 3 * i;
  std::uint64_t n = entry[1].u64;
  Cell* to = fp + entry[2].u64;
  move_cells_down(to, sp - n, n);
  sp = to + n;
  pc = entry[0].target;
  goto* pc->handler;
}
L_return_: {
  std::uint64_t n = pc[1].u64;
  move_cells_down(fp, sp - n, n);
  sp = fp + n;
  frames_.pop_back();
  if (frames_.size() < low_ + 1 && low_ > 0) low_ = frames_.empty() ? 0 : frames_.size() - 1;
  if (frames_.empty()) return Exit::finished;
  frame = &frames_.back();
  pc = frame->pc;
  fp = frame->fp;
  if (frame->function->instance != inst) {
    inst = frame->function->instance;
    LOAD_MEMORY();
  }
  goto* pc->handler;
}
L_loop_check:
  if (--fuel <= 0) goto pause;
  NEXT(1);
L_call:
  if (--fuel <= 0) goto pause;
  callee = inst->functions[pc[1].u32];
  goto enter;
L_call_indirect: {
  if (--fuel <= 0) goto pause;
  Ref table_ref = inst->tables[pc[2].u32];
  Ref cells = slot(vm_, table_ref, table_cells);
  std::uint32_t i = read_I32(sp[-1]);
  if (i >= blob_size(vm_, cells) / 8) {
    trap_ = fmt::format("undefined element {}", i);
    goto trap_formatted;
  }
  Cell c = reinterpret_cast<const Cell*>(blob_data(vm_, cells))[i];
  if (c == 0) {
    trap_ = fmt::format("uninitialized element {}", i);
    goto trap_formatted;
  }
  callee = &function_ref(engine_, *store_, static_cast<std::uint32_t>(c - 1));
  if (callee->type_id != inst->module->type_ids[pc[1].u32]) TRAP("indirect call type mismatch");
  --sp;
  goto enter;
}
L_drop:
  --sp;
  NEXT(1);
L_select: {
  std::uint32_t c = read_I32(sp[-1]);
  sp -= 2;
  if (!c) sp[-1] = sp[0];
  NEXT(1);
}
L_local_get:
  *sp++ = fp[pc[1].u64];
  NEXT(2);
L_local_set:
  fp[pc[1].u64] = *--sp;
  NEXT(2);
L_local_tee:
  fp[pc[1].u64] = sp[-1];
  NEXT(2);
L_global_get:
  *sp++ = *inst->globals[pc[1].u64];
  NEXT(2);
L_global_set:
  *inst->globals[pc[1].u64] = *--sp;
  NEXT(2);
L_const_:
  *sp++ = pc[1].u64;
  NEXT(2);

  // ---- memory ----
#define LOAD(name, T, Stored, Write)                                     \
  L_##name: {                                                              \
    std::uint64_t ea = std::uint64_t(read_I32(sp[-1])) + pc[1].u64;        \
    if (ea + sizeof(Stored) > mem_size) TRAP(trap_out_of_bounds_memory);   \
    sp[-1] = Write(static_cast<T>(load_unaligned<Stored>(mem + ea)));      \
    NEXT(2);                                                               \
  }
#define STORE(name, Stored)                                                \
  L_##name: {                                                              \
    std::uint64_t ea = std::uint64_t(read_I32(sp[-2])) + pc[1].u64;        \
    if (ea + sizeof(Stored) > mem_size) TRAP(trap_out_of_bounds_memory);   \
    store_unaligned<Stored>(mem + ea, static_cast<Stored>(sp[-1]));        \
    sp -= 2;                                                               \
    NEXT(2);                                                               \
  }
#include "wasm/memory_ops.def"
L_memory_size:
  *sp++ = write_I32(static_cast<std::uint32_t>(mem_size / 65536));
  NEXT(1);
L_memory_grow: {
  std::int32_t old;
  try {
    old = grow_memory(engine_, inst->memory, read_I32(sp[-1]));
  } catch (const vm::OutOfMemory&) {
    stop_pc_ = pc;
    stop_sp_ = sp;
    return Exit::out_of_memory;
  }
  sp[-1] = write_I32(static_cast<std::uint32_t>(old));
  LOAD_MEMORY();
  NEXT(1);
}
L_memory_init: {
  std::uint32_t seg = pc[1].u32;
  std::uint64_t n = read_I32(sp[-1]), s = read_I32(sp[-2]), d = read_I32(sp[-3]);
  const Module& m = inst->module->module;
  auto* dropped = reinterpret_cast<const std::uint8_t*>(blob_data(vm_, inst->dropped));
  std::uint64_t length = dropped[m.elements.size() + seg] ? 0 : m.data[seg].bytes.size;
  if (s + n > length || d + n > mem_size) TRAP(trap_out_of_bounds_memory);
  std::memcpy(mem + d, inst->module->bytes.data() + m.data[seg].bytes.offset + s, n);
  sp -= 3;
  NEXT(2);
}
L_data_drop: {
  auto* dropped = reinterpret_cast<std::uint8_t*>(blob_data(vm_, inst->dropped));
  dropped[inst->module->module.elements.size() + pc[1].u32] = 1;
  NEXT(2);
}
L_memory_copy: {
  std::uint64_t n = read_I32(sp[-1]), s = read_I32(sp[-2]), d = read_I32(sp[-3]);
  if (s + n > mem_size || d + n > mem_size) TRAP(trap_out_of_bounds_memory);
  std::memmove(mem + d, mem + s, n);
  sp -= 3;
  NEXT(1);
}
L_memory_fill: {
  std::uint64_t n = read_I32(sp[-1]), d = read_I32(sp[-3]);
  auto value = static_cast<std::uint8_t>(sp[-2]);
  if (d + n > mem_size) TRAP(trap_out_of_bounds_memory);
  std::memset(mem + d, value, n);
  sp -= 3;
  NEXT(1);
}

  // ---- references and tables ----
L_ref_is_null:
  sp[-1] = sp[-1] == 0 ? 1 : 0;
  NEXT(1);
L_ref_func:
  *sp++ = Cell(inst->functions[pc[1].u32]->number) + 1;
  NEXT(2);
#define TABLE_CELLS(index, cells_var, size_var)                                    \
  Ref cells_blob_ = slot(vm_, inst->tables[index], table_cells);                   \
  auto* cells_var = reinterpret_cast<Cell*>(blob_data(vm_, cells_blob_));          \
  std::uint64_t size_var = blob_size(vm_, cells_blob_) / 8
L_table_get: {
  TABLE_CELLS(pc[1].u32, cells, size);
  std::uint64_t i = read_I32(sp[-1]);
  if (i >= size) TRAP(trap_out_of_bounds_table);
  sp[-1] = cells[i];
  NEXT(2);
}
L_table_set: {
  TABLE_CELLS(pc[1].u32, cells, size);
  std::uint64_t i = read_I32(sp[-2]);
  if (i >= size) TRAP(trap_out_of_bounds_table);
  cells[i] = sp[-1];
  sp -= 2;
  NEXT(2);
}
L_table_size: {
  TABLE_CELLS(pc[1].u32, cells, size);
  (void)cells;
  *sp++ = write_I32(static_cast<std::uint32_t>(size));
  NEXT(2);
}
L_table_grow: {
  std::int32_t old;
  try {
    old = grow_table(engine_, inst->tables[pc[1].u32], read_I32(sp[-1]), sp[-2]);
  } catch (const vm::OutOfMemory&) {
    stop_pc_ = pc;
    stop_sp_ = sp;
    return Exit::out_of_memory;
  }
  --sp;
  sp[-1] = write_I32(static_cast<std::uint32_t>(old));
  NEXT(2);
}
L_table_fill: {
  TABLE_CELLS(pc[1].u32, cells, size);
  std::uint64_t n = read_I32(sp[-1]), i = read_I32(sp[-3]);
  Cell value = sp[-2];
  if (i + n > size) TRAP(trap_out_of_bounds_table);
  std::fill_n(cells + i, n, value);
  sp -= 3;
  NEXT(2);
}
L_table_copy: {
  TABLE_CELLS(pc[1].u32, dst, dst_size);
  Ref src_blob = slot(vm_, inst->tables[pc[2].u32], table_cells);
  auto* src = reinterpret_cast<Cell*>(blob_data(vm_, src_blob));
  std::uint64_t src_size = blob_size(vm_, src_blob) / 8;
  std::uint64_t n = read_I32(sp[-1]), s = read_I32(sp[-2]), d = read_I32(sp[-3]);
  if (s + n > src_size || d + n > dst_size) TRAP(trap_out_of_bounds_table);
  std::memmove(dst + d, src + s, n * sizeof(Cell));
  sp -= 3;
  NEXT(3);
}
L_table_init: {
  std::uint32_t seg = pc[1].u32;
  TABLE_CELLS(pc[2].u32, cells, size);
  std::uint64_t n = read_I32(sp[-1]), s = read_I32(sp[-2]), d = read_I32(sp[-3]);
  auto* dropped = reinterpret_cast<const std::uint8_t*>(blob_data(vm_, inst->dropped));
  std::uint64_t length = dropped[seg] ? 0 : inst->module->module.elements[seg].size();
  if (s + n > length || d + n > size) TRAP(trap_out_of_bounds_table);
  if (n) {
    std::vector<Cell> values = element_values(engine_, *inst, seg);
    std::copy_n(values.begin() + static_cast<std::ptrdiff_t>(s), n, cells + d);
  }
  sp -= 3;
  NEXT(3);
}
L_elem_drop: {
  auto* dropped = reinterpret_cast<std::uint8_t*>(blob_data(vm_, inst->dropped));
  dropped[pc[1].u32] = 1;
  NEXT(2);
}
#undef TABLE_CELLS

  // ---- numeric ----
#define UNARY(name, opcode, In, Out, expr) \
  L_##name: {                              \
    T_##In a = read_##In(sp[-1]);          \
    sp[-1] = write_##Out(expr);            \
    NEXT(1);                               \
  }
#define BINARY(name, opcode, In, Out, expr) \
  L_##name: {                               \
    T_##In b = read_##In(sp[-1]);           \
    T_##In a = read_##In(sp[-2]);           \
    --sp;                                   \
    sp[-1] = write_##Out(expr);             \
    NEXT(1);                                \
  }
#define TRAPPING_UNARY(name, opcode, In, Out, helper) \
  L_##name: {                                         \
    T_##In a = read_##In(sp[-1]);                     \
    T_##Out r{};                                      \
    if (const char* t = helper(a, r)) TRAP(t);        \
    sp[-1] = write_##Out(r);                          \
    NEXT(1);                                          \
  }
#define TRAPPING_BINARY(name, opcode, In, Out, helper) \
  L_##name: {                                          \
    T_##In b = read_##In(sp[-1]);                      \
    T_##In a = read_##In(sp[-2]);                      \
    T_##Out r{};                                       \
    if (const char* t = helper(a, b, r)) TRAP(t);      \
    --sp;                                              \
    sp[-1] = write_##Out(r);                           \
    NEXT(1);                                           \
  }
#define UNARY_FC(name, sub, In, Out, expr) UNARY(name, 0, In, Out, expr)
#include "wasm/numeric_ops.def"

  // ---- superinstructions (fuse.h): operands are frame cells fp[i] or constants in the code ----
#define CELL(k) fp[pc[k].u64]
#define SET_HEIGHT(k) sp = fp + pc[k].u64
#define BRANCH_IF(condition, next)  \
  do {                              \
    if (condition) {                \
      pc = pc[1].target;            \
      goto* pc->handler;            \
    }                               \
    NEXT(next);                     \
  } while (0)
L_copy_r:
  CELL(1) = CELL(2);
  SET_HEIGHT(3);
  NEXT(4);
L_const_r:
  CELL(1) = pc[2].u64;
  SET_HEIGHT(3);
  NEXT(4);
L_br_if_r:
  SET_HEIGHT(3);
  BRANCH_IF(read_I32(CELL(2)), 4);
L_br_unless_r:
  SET_HEIGHT(3);
  BRANCH_IF(!read_I32(CELL(2)), 4);
#define BINARY(name, opcode, In, Out, expr) \
  L_##name##_rr: {                          \
    T_##In a = read_##In(CELL(2));          \
    T_##In b = read_##In(CELL(3));          \
    CELL(1) = write_##Out(expr);            \
    SET_HEIGHT(4);                          \
    NEXT(5);                                \
  }                                         \
  L_##name##_rc: {                          \
    T_##In a = read_##In(CELL(2));          \
    T_##In b = read_##In(pc[3].u64);        \
    CELL(1) = write_##Out(expr);            \
    SET_HEIGHT(4);                          \
    NEXT(5);                                \
  }
#define COMPARE(name, opcode, In, Out, expr) \
  BINARY(name, opcode, In, Out, expr)        \
  L_##name##_br_rr: {                        \
    T_##In a = read_##In(CELL(2));           \
    T_##In b = read_##In(CELL(3));           \
    SET_HEIGHT(4);                           \
    BRANCH_IF(expr, 5);                      \
  }                                          \
  L_##name##_br_rc: {                        \
    T_##In a = read_##In(CELL(2));           \
    T_##In b = read_##In(pc[3].u64);         \
    SET_HEIGHT(4);                           \
    BRANCH_IF(expr, 5);                      \
  }                                          \
  L_##name##_brz_rr: {                       \
    T_##In a = read_##In(CELL(2));           \
    T_##In b = read_##In(CELL(3));           \
    SET_HEIGHT(4);                           \
    BRANCH_IF(!(expr), 5);                   \
  }                                          \
  L_##name##_brz_rc: {                       \
    T_##In a = read_##In(CELL(2));           \
    T_##In b = read_##In(pc[3].u64);         \
    SET_HEIGHT(4);                           \
    BRANCH_IF(!(expr), 5);                   \
  }
#include "wasm/numeric_ops.def"
#define LOAD_ADD(T, Stored, Write, b)                                             \
  {                                                                        \
    std::uint32_t base = read_I32(CELL(2)) + read_I32(b);                  \
    std::uint64_t ea = std::uint64_t(base) + pc[4].u64;                    \
    if (ea + sizeof(Stored) > mem_size) TRAP(trap_out_of_bounds_memory);   \
    CELL(1) = Write(static_cast<T>(load_unaligned<Stored>(mem + ea)));     \
    SET_HEIGHT(5);                                                         \
    NEXT(6);                                                               \
  }
#define LOAD(name, T, Stored, Write)                                       \
  L_##name##_r: {                                                          \
    std::uint64_t ea = std::uint64_t(read_I32(CELL(2))) + pc[3].u64;       \
    if (ea + sizeof(Stored) > mem_size) TRAP(trap_out_of_bounds_memory);   \
    CELL(1) = Write(static_cast<T>(load_unaligned<Stored>(mem + ea)));     \
    SET_HEIGHT(4);                                                         \
    NEXT(5);                                                               \
  }                                                                        \
  L_##name##_add_rr: LOAD_ADD(T, Stored, Write, CELL(3))             \
  L_##name##_add_rc: LOAD_ADD(T, Stored, Write, pc[3].u64)
#define STORE(name, Stored)                                                \
  L_##name##_rr: {                                                         \
    std::uint64_t ea = std::uint64_t(read_I32(CELL(1))) + pc[3].u64;       \
    if (ea + sizeof(Stored) > mem_size) TRAP(trap_out_of_bounds_memory);   \
    store_unaligned<Stored>(mem + ea, static_cast<Stored>(CELL(2)));       \
    SET_HEIGHT(4);                                                         \
    NEXT(5);                                                               \
  }                                                                        \
  L_##name##_rc: {                                                         \
    std::uint64_t ea = std::uint64_t(read_I32(CELL(1))) + pc[3].u64;       \
    if (ea + sizeof(Stored) > mem_size) TRAP(trap_out_of_bounds_memory);   \
    store_unaligned<Stored>(mem + ea, static_cast<Stored>(pc[2].u64));     \
    SET_HEIGHT(4);                                                         \
    NEXT(5);                                                               \
  }
#include "wasm/memory_ops.def"
#undef LOAD_ADD
#undef CELL
#undef SET_HEIGHT
#undef BRANCH_IF

#undef NEXT
#undef TRAP
#undef LOAD_MEMORY
}

}  // namespace

const void* const* interpreter_handlers(Engine& engine) { return Run::handlers(engine); }

CallOutcome interpret(Engine& engine, Engine::Caches& caches, Ref call, std::uint64_t fuel) {
  (void)caches;
  Run run(engine, call);
  return run.go(fuel);
}

}  // namespace phantom::wasm
