// Compiler: validation and translation of function bodies in one pass. See compiler.h and code.h.
//
// Validation follows the spec's appendix A.3 (an operand stack whose entries may be "unknown" after
// an unconditional branch, and a control stack). Translation rides on it: the height of the operand
// stack is exact wherever code is reachable, so every branch knows how many cells to move and where.
// Code that validation reaches but execution cannot (after br, return, unreachable, until the end of
// the block) is validated and not emitted.
#include "wasm/compiler.h"

#include <array>

#include "wasm/binary_reader.h"
#include "wasm/fuse.h"
#include "wasm/type_reader.h"

namespace phantom::wasm {
namespace {

constexpr auto unknown = static_cast<ValueType>(0);  // the bottom type of unreachable code

// Binary opcodes (spec 5.4) of the instructions that are not in numeric_ops.def.
enum Opcode : std::uint8_t {
  op_unreachable = 0x00, op_nop = 0x01, op_block = 0x02, op_loop = 0x03, op_if = 0x04, op_else = 0x05,
  op_end = 0x0b, op_br = 0x0c, op_br_if = 0x0d, op_br_table = 0x0e, op_return = 0x0f, op_call = 0x10,
  op_call_indirect = 0x11, op_drop = 0x1a, op_select = 0x1b, op_select_t = 0x1c, op_local_get = 0x20,
  op_local_set = 0x21, op_local_tee = 0x22, op_global_get = 0x23, op_global_set = 0x24, op_table_get = 0x25,
  op_table_set = 0x26, op_i32_load = 0x28, op_i64_store32 = 0x3e, op_memory_size = 0x3f, op_memory_grow = 0x40,
  op_i32_const = 0x41, op_i64_const = 0x42, op_f32_const = 0x43, op_f64_const = 0x44, op_ref_null = 0xd0,
  op_ref_is_null = 0xd1, op_ref_func = 0xd2, op_prefix_fc = 0xfc, op_prefix_simd = 0xfd,
};
enum FcOpcode : std::uint32_t {
  fc_memory_init = 8, fc_data_drop = 9, fc_memory_copy = 10, fc_memory_fill = 11, fc_table_init = 12,
  fc_elem_drop = 13, fc_table_copy = 14, fc_table_grow = 15, fc_table_size = 16, fc_table_fill = 17,
};

// Loads and stores, 0x28..0x3e in order: the op, the type moved, the natural alignment (log2 of bytes).
struct MemoryOpInfo {
  Op op;
  ValueType type;
  std::uint32_t natural_align;
  bool store;
};
constexpr std::array<MemoryOpInfo, 23> memory_ops = {{
    {Op::i32_load, ValueType::i32, 2, false},     {Op::i64_load, ValueType::i64, 3, false},
    {Op::f32_load, ValueType::f32, 2, false},     {Op::f64_load, ValueType::f64, 3, false},
    {Op::i32_load8_s, ValueType::i32, 0, false},  {Op::i32_load8_u, ValueType::i32, 0, false},
    {Op::i32_load16_s, ValueType::i32, 1, false}, {Op::i32_load16_u, ValueType::i32, 1, false},
    {Op::i64_load8_s, ValueType::i64, 0, false},  {Op::i64_load8_u, ValueType::i64, 0, false},
    {Op::i64_load16_s, ValueType::i64, 1, false}, {Op::i64_load16_u, ValueType::i64, 1, false},
    {Op::i64_load32_s, ValueType::i64, 2, false}, {Op::i64_load32_u, ValueType::i64, 2, false},
    {Op::i32_store, ValueType::i32, 2, true},     {Op::i64_store, ValueType::i64, 3, true},
    {Op::f32_store, ValueType::f32, 2, true},     {Op::f64_store, ValueType::f64, 3, true},
    {Op::i32_store8, ValueType::i32, 0, true},    {Op::i32_store16, ValueType::i32, 1, true},
    {Op::i64_store8, ValueType::i64, 0, true},    {Op::i64_store16, ValueType::i64, 1, true},
    {Op::i64_store32, ValueType::i64, 2, true},
}};

struct NumericInfo {
  Op op = Op::count;  // count: no such instruction
  ValueType in = ValueType::i32, out = ValueType::i32;
  bool binary = false;
};
#define I32 ValueType::i32
#define I64 ValueType::i64
#define F32 ValueType::f32
#define F64 ValueType::f64
constexpr std::array<NumericInfo, 256> make_numeric_table() {
  std::array<NumericInfo, 256> t{};
#define UNARY(name, opcode, In, Out, expr) t[opcode] = {Op::name, In, Out, false};
#define BINARY(name, opcode, In, Out, expr) t[opcode] = {Op::name, In, Out, true};
#define TRAPPING_UNARY(name, opcode, In, Out, helper) t[opcode] = {Op::name, In, Out, false};
#define TRAPPING_BINARY(name, opcode, In, Out, helper) t[opcode] = {Op::name, In, Out, true};
#include "wasm/numeric_ops.def"
  return t;
}
constexpr std::array<NumericInfo, 8> make_saturating_table() {
  std::array<NumericInfo, 8> t{};
#define UNARY_FC(name, sub, In, Out, expr) t[sub] = {Op::name, In, Out, false};
#include "wasm/numeric_ops.def"
  return t;
}
#undef I32
#undef I64
#undef F32
#undef F64
constexpr auto numeric_table = make_numeric_table();
constexpr auto saturating_table = make_saturating_table();

std::string type_name(ValueType t) { return t == unknown ? "nothing" : value_type_name(t); }

struct Ctrl {
  std::uint8_t opcode = 0;  // op_block, op_loop, op_if, op_else, or 0 for the function's body
  std::vector<ValueType> params, results;
  std::uint32_t height = 0;      // operand stack size at entry, below the parameters
  bool unreachable = false;      // after an unconditional branch: the rest of the block is not run
  bool dead = false;             // the whole block is never run (it starts in unreachable code)
  std::uint32_t loop_target = 0;             // a loop's label: the code index of its safepoint
  std::vector<std::uint32_t> fixups;         // slots that receive the code index of this block's end
  std::int64_t else_fixup = -1;              // an if's branch to its else (or end)
  const std::vector<ValueType>& label_types() const { return opcode == op_loop ? params : results; }
};

class FunctionCompiler {
 public:
  FunctionCompiler(const Module& module, const ModuleInfo& info, std::span<const std::uint8_t> bytes, std::uint32_t defined)
      : module_(module), info_(info), defined_(defined), function_(info.imported_functions + defined),
        type_(module.types[info.function_types[function_]]),
        reader_(bytes, module.codes[defined].code.offset, module.codes[defined].code.end(), "code section") {}

  Result<CompiledFunction> run();

 private:
  Error fail(Errc code, std::string_view what) const {
    return make_error(code, "code section, offset {:#x}: function {}: {}", at_, function_, what);
  }
  Error invalid(std::string_view what) const { return fail(Errc::invalid_argument, what); }
  Error mismatch(ValueType expected, ValueType got) const {
    return invalid(fmt::format("type mismatch in {}: expected {}, got {}", what_, type_name(expected), type_name(got)));
  }

  // ---- the operand and control stacks of validation ----
  void push(ValueType t) {
    vals_.push_back(t);
    if (vals_.size() > max_vals_) max_vals_ = static_cast<std::uint32_t>(vals_.size());
  }
  Result<ValueType> pop() {
    const Ctrl& c = ctrls_.back();
    if (vals_.size() == c.height) {
      if (c.unreachable) return unknown;
      return invalid(fmt::format("type mismatch in {}: the operand stack is empty", what_));
    }
    ValueType t = vals_.back();
    vals_.pop_back();
    return t;
  }
  Result<ValueType> pop(ValueType expected) {
    PHANTOM_ASSIGN(ValueType got, pop());
    if (got != expected && got != unknown && expected != unknown) return mismatch(expected, got);
    return got;  // unknown stays unknown: br_table checks several label types against the same operands
  }
  Status pop_all(const std::vector<ValueType>& types) {
    for (std::size_t i = types.size(); i-- > 0;) PHANTOM_TRY(pop(types[i]));
    return ok_status();
  }
  void push_all(const std::vector<ValueType>& types) {
    for (ValueType t : types) push(t);
  }
  void push_ctrl(std::uint8_t opcode, std::vector<ValueType> params, std::vector<ValueType> results) {
    Ctrl c;
    c.opcode = opcode;
    c.height = static_cast<std::uint32_t>(vals_.size());
    c.dead = !ctrls_.empty() && !live();
    c.params = std::move(params);
    c.results = std::move(results);
    ctrls_.push_back(std::move(c));
    push_all(ctrls_.back().params);
  }
  Result<Ctrl> pop_ctrl() {
    Ctrl& c = ctrls_.back();
    PHANTOM_TRY(pop_all(c.results));
    if (vals_.size() != c.height)
      return invalid(fmt::format("type mismatch: {} value(s) left on the stack at the end of a block", vals_.size() - c.height));
    Ctrl out = std::move(c);
    ctrls_.pop_back();
    return out;
  }
  void set_unreachable() {
    Ctrl& c = ctrls_.back();
    vals_.resize(c.height);
    c.unreachable = true;
  }
  bool live() const { return !ctrls_.back().unreachable && !ctrls_.back().dead; }
  std::uint32_t height() const { return locals_ + static_cast<std::uint32_t>(vals_.size()); }

  // ---- emission ----
  // Every op is emitted after validation applied its effect on the operand stack, so height() is the
  // height after the op (fuse() needs it).
  void emit(Op op) {
    out_.pcs.push_back({static_cast<std::uint32_t>(out_.code.size()), static_cast<std::uint32_t>(at_)});
    heights_.push_back(height());
    Slot s;
    s.u64 = static_cast<std::uint64_t>(op);
    out_.code.push_back(s);
  }
  void imm(std::uint64_t v) {
    Slot s;
    s.u64 = v;
    out_.code.push_back(s);
  }
  std::uint32_t here() const { return static_cast<std::uint32_t>(out_.code.size()); }
  void imm_target(Ctrl& target) {
    out_.target_slots.push_back(here());
    if (target.opcode == op_loop) {
      imm(target.loop_target);
    } else {
      target.fixups.push_back(here());
      imm(0);
    }
  }
  void patch_to_here(std::uint32_t slot) { out_.code[slot].u64 = here(); }
  // A branch to `target` from the current height (label values on top). `plain` when no value moves.
  void emit_branch(Ctrl& target, Op plain, Op copy) {
    auto arity = static_cast<std::uint32_t>(target.label_types().size());
    std::uint32_t to = locals_ + target.height;
    if (height() - arity == to) {
      emit(plain);
      imm_target(target);
    } else {
      emit(copy);
      imm_target(target);
      imm(arity);
      imm(to);
    }
  }

  // ---- immediates ----
  Result<std::uint32_t> index(std::string_view what) { return reader_.u32(what); }
  Result<std::pair<std::vector<ValueType>, std::vector<ValueType>>> block_type();
  Status memarg(const MemoryOpInfo& info, std::uint64_t& offset);
  Status zero_byte(std::string_view what);
  Status need_memory() const {
    if (info_.memories.empty()) return invalid(fmt::format("unknown memory 0 in {}", what_));
    return ok_status();
  }
  Result<const TableType*> table(std::uint32_t t) const {
    if (t >= info_.tables.size()) return invalid(fmt::format("unknown table {} in {}", t, what_));
    return &info_.tables[t];
  }
  Status need_data_count() const {
    if (!module_.data_count) return fail(Errc::corrupt, fmt::format("{} needs a data count section", what_));
    return ok_status();
  }

  Status instruction(std::uint8_t opcode);
  Status prefixed_fc();
  Status numeric(const NumericInfo& n);
  Result<ValueType> local_type(std::uint32_t index) const {
    if (index >= local_types_.size()) return invalid(fmt::format("unknown local {}", index));
    return local_types_[index];
  }

  const Module& module_;
  const ModuleInfo& info_;
  std::uint32_t defined_;
  std::uint32_t function_;
  const FuncType& type_;
  BinaryReader reader_;
  std::size_t at_ = 0;         // offset of the instruction being compiled
  std::string_view what_;      // its name, for messages
  std::vector<ValueType> local_types_;
  std::uint32_t locals_ = 0;   // parameters and locals: the operand stack's base
  std::vector<ValueType> vals_;
  std::vector<Ctrl> ctrls_;
  std::uint32_t max_vals_ = 0;
  CompiledFunction out_;
  std::vector<std::uint32_t> heights_;  // by op: the height after it
};

Result<std::pair<std::vector<ValueType>, std::vector<ValueType>>> FunctionCompiler::block_type() {
  // 0x40 (no values), a value type (one result), or a type index as a positive s33.
  std::size_t start = reader_.offset();
  if (reader_.at_end()) return reader_.error("block type: unexpected end");
  PHANTOM_ASSIGN(std::int64_t raw, reader_.s64("block type"));
  if (reader_.offset() - start > 5) return reader_.error_at(start, "block type: integer representation too long");
  if (raw == -64) return std::pair<std::vector<ValueType>, std::vector<ValueType>>{};  // 0x40
  if (raw < 0) {
    if (reader_.offset() - start != 1) return reader_.error_at(start, "block type: integer too large");
    auto t = static_cast<ValueType>(raw & 0x7f);
    switch (t) {
      case ValueType::i32: case ValueType::i64: case ValueType::f32: case ValueType::f64:
      case ValueType::funcref: case ValueType::externref:
        return std::pair<std::vector<ValueType>, std::vector<ValueType>>{{}, {t}};
      case ValueType::v128: return fail(Errc::unsupported, "SIMD (v128) is not supported");
      default: return reader_.error_at(start, fmt::format("block type: {:#x} is not a value type", raw & 0x7f));
    }
  }
  if (raw > 0xffffffffll) return reader_.error_at(start, "block type: integer too large");
  if (static_cast<std::uint64_t>(raw) >= module_.types.size()) return invalid(fmt::format("unknown type {} in block type", raw));
  const FuncType& ft = module_.types[static_cast<std::size_t>(raw)];
  return std::pair<std::vector<ValueType>, std::vector<ValueType>>{ft.params, ft.results};
}

Status FunctionCompiler::memarg(const MemoryOpInfo& info, std::uint64_t& offset) {
  PHANTOM_ASSIGN(std::uint32_t align, reader_.u32("memory alignment"));
  PHANTOM_ASSIGN(std::uint32_t off, reader_.u32("memory offset"));
  PHANTOM_TRY(need_memory());
  if (align > info.natural_align) return invalid(fmt::format("alignment must not be larger than natural in {}", what_));
  offset = off;
  return ok_status();
}

Status FunctionCompiler::zero_byte(std::string_view what) {
  PHANTOM_ASSIGN(std::uint8_t b, reader_.byte(what));
  if (b != 0) return fail(Errc::corrupt, fmt::format("{}: zero byte expected, got {:#x}", what, b));
  return ok_status();
}

Status FunctionCompiler::numeric(const NumericInfo& n) {
  if (n.binary) PHANTOM_TRY(pop(n.in));
  PHANTOM_TRY(pop(n.in));
  push(n.out);
  if (live()) emit(n.op);
  return ok_status();
}

Result<CompiledFunction> FunctionCompiler::run() {
  const FunctionBody& body = module_.codes[defined_];
  out_.function_index = function_;
  out_.type_index = info_.function_types[function_];
  out_.params = static_cast<std::uint32_t>(type_.params.size());
  out_.results = static_cast<std::uint32_t>(type_.results.size());
  out_.locals = body.local_count;
  local_types_ = type_.params;
  for (const LocalRun& run : body.locals) {
    if (run.type == ValueType::v128) return fail(Errc::unsupported, "SIMD (v128) locals are not supported");
    local_types_.insert(local_types_.end(), run.count, run.type);
  }
  locals_ = static_cast<std::uint32_t>(local_types_.size());
  out_.code.reserve(body.code.size * 2);
  push_ctrl(0, {}, type_.results);
  while (!ctrls_.empty()) {
    at_ = reader_.offset();
    if (reader_.at_end()) return fail(Errc::corrupt, "unexpected end of the function body (an `end` is missing)");
    PHANTOM_ASSIGN(std::uint8_t opcode, reader_.byte("opcode"));
    PHANTOM_TRY(instruction(opcode));
  }
  if (!reader_.at_end())
    return fail(Errc::corrupt, "operators remaining after the end of the function");
  out_.max_height = locals_ + max_vals_;
  fuse(out_, heights_);
  return std::move(out_);
}

Status FunctionCompiler::instruction(std::uint8_t opcode) {
  if (opcode >= 0x45 && opcode <= 0xc4) {
    const NumericInfo& n = numeric_table[opcode];
    what_ = op_name(n.op);
    return numeric(n);
  }
  if (opcode >= op_i32_load && opcode <= op_i64_store32) {
    const MemoryOpInfo& m = memory_ops[opcode - op_i32_load];
    what_ = op_name(m.op);
    std::uint64_t offset = 0;
    PHANTOM_TRY(memarg(m, offset));
    if (m.store) {
      PHANTOM_TRY(pop(m.type));
      PHANTOM_TRY(pop(ValueType::i32));
    } else {
      PHANTOM_TRY(pop(ValueType::i32));
      push(m.type);
    }
    if (live()) {
      emit(m.op);
      imm(offset);
    }
    return ok_status();
  }
  switch (opcode) {
    case op_unreachable:
      what_ = "unreachable";
      if (live()) emit(Op::unreachable);
      set_unreachable();
      return ok_status();
    case op_nop:
      return ok_status();
    case op_block:
    case op_loop:
    case op_if: {
      what_ = opcode == op_block ? "block" : opcode == op_loop ? "loop" : "if";
      PHANTOM_ASSIGN(auto bt, block_type());
      if (opcode == op_if) PHANTOM_TRY(pop(ValueType::i32));
      PHANTOM_TRY(pop_all(bt.first));
      bool was_live = live();
      std::int64_t else_fixup = -1;
      std::uint32_t loop_target = 0;
      if (was_live && opcode == op_if) {
        emit(Op::br_unless);
        heights_.back() += static_cast<std::uint32_t>(bt.first.size());  // the block's parameters stay
        out_.target_slots.push_back(here());
        else_fixup = here();
        imm(0);
      }
      if (was_live && opcode == op_loop) {
        loop_target = here();
        emit(Op::loop_check);  // the safepoint: every iteration passes here
        heights_.back() += static_cast<std::uint32_t>(bt.first.size());
      }
      push_ctrl(opcode, std::move(bt.first), std::move(bt.second));
      ctrls_.back().else_fixup = else_fixup;
      ctrls_.back().loop_target = loop_target;
      return ok_status();
    }
    case op_else: {
      what_ = "else";
      if (ctrls_.back().opcode != op_if) return invalid("else without a matching if");
      bool then_live = live();
      PHANTOM_ASSIGN(Ctrl c, pop_ctrl());
      if (then_live) {  // the then-branch jumps over the else-branch
        emit(Op::jump);
        out_.target_slots.push_back(here());
        c.fixups.push_back(here());
        imm(0);
      }
      if (c.else_fixup >= 0) patch_to_here(static_cast<std::uint32_t>(c.else_fixup));
      c.else_fixup = -1;
      c.opcode = op_else;
      c.unreachable = false;
      ctrls_.push_back(std::move(c));
      push_all(ctrls_.back().params);
      return ok_status();
    }
    case op_end: {
      what_ = "end";
      if (ctrls_.back().opcode == op_if && ctrls_.back().params != ctrls_.back().results)
        return invalid("type mismatch: an if without else must leave its parameters as its results");
      PHANTOM_ASSIGN(Ctrl c, pop_ctrl());
      if (c.else_fixup >= 0) patch_to_here(static_cast<std::uint32_t>(c.else_fixup));
      for (std::uint32_t slot : c.fixups) patch_to_here(slot);
      if (ctrls_.empty()) {  // the function's end: also where branches to its label arrive
        emit(Op::return_);
        imm(out_.results);
        return ok_status();
      }
      push_all(c.results);
      return ok_status();
    }
    case op_br:
    case op_br_if: {
      what_ = opcode == op_br ? "br" : "br_if";
      PHANTOM_ASSIGN(std::uint32_t depth, index("branch depth"));
      if (depth >= ctrls_.size()) return invalid(fmt::format("unknown label {} in {}", depth, what_));
      Ctrl& target = ctrls_[ctrls_.size() - 1 - depth];
      if (opcode == op_br_if) PHANTOM_TRY(pop(ValueType::i32));
      std::vector<ValueType> types = target.label_types();
      PHANTOM_TRY(pop_all(types));
      push_all(types);
      if (live()) {
        if (opcode == op_br) emit_branch(target, Op::jump, Op::br_copy);
        else emit_branch(target, Op::br_if, Op::br_if_copy);
      }
      if (opcode == op_br) set_unreachable();
      return ok_status();
    }
    case op_br_table: {
      what_ = "br_table";
      PHANTOM_ASSIGN(std::uint32_t count, reader_.count("br_table labels", 1'000'000, 1));
      std::vector<std::uint32_t> depths(count + 1);
      for (auto& d : depths) {
        PHANTOM_ASSIGN(std::uint32_t depth, index("branch depth"));
        d = depth;
      }
      PHANTOM_TRY(pop(ValueType::i32));
      for (std::uint32_t d : depths)
        if (d >= ctrls_.size()) return invalid(fmt::format("unknown label {} in br_table", d));
      const std::size_t arity = ctrls_[ctrls_.size() - 1 - depths.back()].label_types().size();
      for (std::uint32_t d : depths) {
        const std::vector<ValueType>& types = ctrls_[ctrls_.size() - 1 - d].label_types();
        if (types.size() != arity) return invalid("type mismatch: br_table labels of different arities");
        // Each label's types must match the operands; pop and push back, as the appendix does.
        std::vector<ValueType> got;
        for (std::size_t i = types.size(); i-- > 0;) {
          PHANTOM_ASSIGN(ValueType t, pop(types[i]));
          got.push_back(t);
        }
        for (std::size_t i = got.size(); i-- > 0;) push(got[i]);
      }
      if (live()) {
        emit(Op::br_table);
        imm(count);
        for (std::uint32_t d : depths) {
          Ctrl& target = ctrls_[ctrls_.size() - 1 - d];
          imm_target(target);
          imm(target.label_types().size());
          imm(locals_ + target.height);
        }
      }
      set_unreachable();
      return ok_status();
    }
    case op_return:
      what_ = "return";
      PHANTOM_TRY(pop_all(type_.results));
      if (live()) {
        emit(Op::return_);
        imm(out_.results);
      }
      set_unreachable();
      return ok_status();
    case op_call: {
      what_ = "call";
      PHANTOM_ASSIGN(std::uint32_t f, index("function index"));
      if (f >= info_.function_types.size()) return invalid(fmt::format("unknown function {}", f));
      const FuncType& ft = module_.types[info_.function_types[f]];
      PHANTOM_TRY(pop_all(ft.params));
      bool was_live = live();
      push_all(ft.results);
      if (was_live) {
        emit(Op::call);
        imm(f);
      }
      return ok_status();
    }
    case op_call_indirect: {
      what_ = "call_indirect";
      PHANTOM_ASSIGN(std::uint32_t type_index, index("type index"));
      PHANTOM_ASSIGN(std::uint32_t table_index, index("table index"));
      PHANTOM_ASSIGN(const TableType* tt, table(table_index));
      if (tt->element != ValueType::funcref) return invalid("type mismatch: call_indirect through a table of externref");
      if (type_index >= module_.types.size()) return invalid(fmt::format("unknown type {}", type_index));
      const FuncType& ft = module_.types[type_index];
      PHANTOM_TRY(pop(ValueType::i32));
      PHANTOM_TRY(pop_all(ft.params));
      bool was_live = live();
      push_all(ft.results);
      if (was_live) {
        emit(Op::call_indirect);
        imm(type_index);
        imm(table_index);
      }
      return ok_status();
    }
    case op_drop:
      what_ = "drop";
      PHANTOM_TRY(pop());
      if (live()) emit(Op::drop);
      return ok_status();
    case op_select:
    case op_select_t: {
      what_ = "select";
      ValueType t = unknown;
      if (opcode == op_select_t) {
        PHANTOM_ASSIGN(std::uint32_t n, reader_.u32("select type count"));
        if (n != 1) return invalid("invalid result arity: a typed select has exactly one type");
        PHANTOM_ASSIGN(t, read_value_type(reader_, "select type"));
        if (t == ValueType::v128) return fail(Errc::unsupported, "SIMD (v128) is not supported");
      }
      PHANTOM_TRY(pop(ValueType::i32));
      PHANTOM_ASSIGN(ValueType a, pop(t));
      PHANTOM_ASSIGN(ValueType b, pop(t));
      if (opcode == op_select) {
        if (is_reference(a) || is_reference(b))
          return invalid("type mismatch: select without a type takes numbers only");
        if (a != b && a != unknown && b != unknown) return mismatch(a, b);
        t = a == unknown ? b : a;
      }
      push(t);
      if (live()) emit(Op::select);
      return ok_status();
    }
    case op_local_get:
    case op_local_set:
    case op_local_tee: {
      what_ = opcode == op_local_get ? "local.get" : opcode == op_local_set ? "local.set" : "local.tee";
      PHANTOM_ASSIGN(std::uint32_t x, index("local index"));
      PHANTOM_ASSIGN(ValueType t, local_type(x));
      if (opcode != op_local_get) PHANTOM_TRY(pop(t));
      if (opcode != op_local_set) push(t);
      if (live()) {
        emit(opcode == op_local_get ? Op::local_get : opcode == op_local_set ? Op::local_set : Op::local_tee);
        imm(x);
      }
      return ok_status();
    }
    case op_global_get:
    case op_global_set: {
      what_ = opcode == op_global_get ? "global.get" : "global.set";
      PHANTOM_ASSIGN(std::uint32_t x, index("global index"));
      if (x >= info_.globals.size()) return invalid(fmt::format("unknown global {}", x));
      const GlobalType& g = info_.globals[x];
      if (opcode == op_global_get) {
        push(g.type);
      } else {
        if (!g.is_mutable) return invalid(fmt::format("global.set of the immutable global {}", x));
        PHANTOM_TRY(pop(g.type));
      }
      if (live()) {
        emit(opcode == op_global_get ? Op::global_get : Op::global_set);
        imm(x);
      }
      return ok_status();
    }
    case op_table_get:
    case op_table_set: {
      what_ = opcode == op_table_get ? "table.get" : "table.set";
      PHANTOM_ASSIGN(std::uint32_t x, index("table index"));
      PHANTOM_ASSIGN(const TableType* tt, table(x));
      if (opcode == op_table_get) {
        PHANTOM_TRY(pop(ValueType::i32));
        push(tt->element);
      } else {
        PHANTOM_TRY(pop(tt->element));
        PHANTOM_TRY(pop(ValueType::i32));
      }
      if (live()) {
        emit(opcode == op_table_get ? Op::table_get : Op::table_set);
        imm(x);
      }
      return ok_status();
    }
    case op_memory_size:
    case op_memory_grow:
      what_ = opcode == op_memory_size ? "memory.size" : "memory.grow";
      PHANTOM_TRY(zero_byte(what_));
      PHANTOM_TRY(need_memory());
      if (opcode == op_memory_grow) PHANTOM_TRY(pop(ValueType::i32));
      push(ValueType::i32);
      if (live()) emit(opcode == op_memory_size ? Op::memory_size : Op::memory_grow);
      return ok_status();
    case op_i32_const: {
      what_ = "i32.const";
      PHANTOM_ASSIGN(std::int32_t v, reader_.s32("i32 constant"));
      push(ValueType::i32);
      if (live()) {
        emit(Op::const_);
        imm(static_cast<std::uint32_t>(v));
      }
      return ok_status();
    }
    case op_i64_const: {
      what_ = "i64.const";
      PHANTOM_ASSIGN(std::int64_t v, reader_.s64("i64 constant"));
      push(ValueType::i64);
      if (live()) {
        emit(Op::const_);
        imm(static_cast<std::uint64_t>(v));
      }
      return ok_status();
    }
    case op_f32_const:
    case op_f64_const: {
      what_ = opcode == op_f32_const ? "f32.const" : "f64.const";
      PHANTOM_ASSIGN(std::uint64_t bits, reader_.fixed(opcode == op_f32_const ? 4 : 8, what_));
      push(opcode == op_f32_const ? ValueType::f32 : ValueType::f64);
      if (live()) {
        emit(Op::const_);
        imm(bits);
      }
      return ok_status();
    }
    case op_ref_null: {
      what_ = "ref.null";
      PHANTOM_ASSIGN(ValueType t, read_reference_type(reader_, "ref.null type"));
      push(t);
      if (live()) {
        emit(Op::const_);
        imm(0);
      }
      return ok_status();
    }
    case op_ref_is_null: {
      what_ = "ref.is_null";
      PHANTOM_ASSIGN(ValueType t, pop());
      if (t != unknown && !is_reference(t)) return invalid(fmt::format("type mismatch in ref.is_null: {} is no reference", type_name(t)));
      push(ValueType::i32);
      if (live()) emit(Op::ref_is_null);
      return ok_status();
    }
    case op_ref_func: {
      what_ = "ref.func";
      PHANTOM_ASSIGN(std::uint32_t f, index("function index"));
      if (f >= info_.function_types.size()) return invalid(fmt::format("unknown function {}", f));
      if (!info_.referenceable[f])
        return invalid(fmt::format("undeclared function reference {} (not in an element segment, export or global)", f));
      push(ValueType::funcref);
      if (live()) {
        emit(Op::ref_func);
        imm(f);
      }
      return ok_status();
    }
    case op_prefix_fc:
      return prefixed_fc();
    case op_prefix_simd:
      return fail(Errc::unsupported, "SIMD instructions (prefix 0xfd) are not supported");
    default:
      return fail(Errc::corrupt, fmt::format("illegal opcode {:#04x}", opcode));
  }
}

Status FunctionCompiler::prefixed_fc() {
  PHANTOM_ASSIGN(std::uint32_t sub, reader_.u32("0xfc sub-opcode"));
  if (sub < saturating_table.size()) {
    const NumericInfo& n = saturating_table[sub];
    what_ = op_name(n.op);
    return numeric(n);
  }
  switch (sub) {
    case fc_memory_init: {
      what_ = "memory.init";
      PHANTOM_ASSIGN(std::uint32_t x, index("data index"));
      PHANTOM_TRY(zero_byte(what_));
      PHANTOM_TRY(need_data_count());
      PHANTOM_TRY(need_memory());
      if (x >= *module_.data_count) return invalid(fmt::format("unknown data segment {}", x));
      for (int i = 0; i < 3; ++i) PHANTOM_TRY(pop(ValueType::i32));
      if (live()) {
        emit(Op::memory_init);
        imm(x);
      }
      return ok_status();
    }
    case fc_data_drop: {
      what_ = "data.drop";
      PHANTOM_ASSIGN(std::uint32_t x, index("data index"));
      PHANTOM_TRY(need_data_count());
      if (x >= *module_.data_count) return invalid(fmt::format("unknown data segment {}", x));
      if (live()) {
        emit(Op::data_drop);
        imm(x);
      }
      return ok_status();
    }
    case fc_memory_copy:
    case fc_memory_fill:
      what_ = sub == fc_memory_copy ? "memory.copy" : "memory.fill";
      PHANTOM_TRY(zero_byte(what_));
      if (sub == fc_memory_copy) PHANTOM_TRY(zero_byte(what_));
      PHANTOM_TRY(need_memory());
      for (int i = 0; i < 3; ++i) PHANTOM_TRY(pop(ValueType::i32));
      if (live()) emit(sub == fc_memory_copy ? Op::memory_copy : Op::memory_fill);
      return ok_status();
    case fc_table_init: {
      what_ = "table.init";
      PHANTOM_ASSIGN(std::uint32_t e, index("element index"));
      PHANTOM_ASSIGN(std::uint32_t t, index("table index"));
      PHANTOM_ASSIGN(const TableType* tt, table(t));
      if (e >= module_.elements.size()) return invalid(fmt::format("unknown element segment {}", e));
      if (module_.elements[e].type != tt->element) return invalid("type mismatch: table.init of a segment of another reference type");
      for (int i = 0; i < 3; ++i) PHANTOM_TRY(pop(ValueType::i32));
      if (live()) {
        emit(Op::table_init);
        imm(e);
        imm(t);
      }
      return ok_status();
    }
    case fc_elem_drop: {
      what_ = "elem.drop";
      PHANTOM_ASSIGN(std::uint32_t e, index("element index"));
      if (e >= module_.elements.size()) return invalid(fmt::format("unknown element segment {}", e));
      if (live()) {
        emit(Op::elem_drop);
        imm(e);
      }
      return ok_status();
    }
    case fc_table_copy: {
      what_ = "table.copy";
      PHANTOM_ASSIGN(std::uint32_t dst, index("table index"));
      PHANTOM_ASSIGN(std::uint32_t src, index("table index"));
      PHANTOM_ASSIGN(const TableType* d, table(dst));
      PHANTOM_ASSIGN(const TableType* s, table(src));
      if (d->element != s->element) return invalid("type mismatch: table.copy between tables of different reference types");
      for (int i = 0; i < 3; ++i) PHANTOM_TRY(pop(ValueType::i32));
      if (live()) {
        emit(Op::table_copy);
        imm(dst);
        imm(src);
      }
      return ok_status();
    }
    case fc_table_grow:
    case fc_table_size:
    case fc_table_fill: {
      what_ = sub == fc_table_grow ? "table.grow" : sub == fc_table_size ? "table.size" : "table.fill";
      PHANTOM_ASSIGN(std::uint32_t x, index("table index"));
      PHANTOM_ASSIGN(const TableType* tt, table(x));
      if (sub == fc_table_grow) {
        PHANTOM_TRY(pop(ValueType::i32));
        PHANTOM_TRY(pop(tt->element));
        push(ValueType::i32);
      } else if (sub == fc_table_size) {
        push(ValueType::i32);
      } else {
        PHANTOM_TRY(pop(ValueType::i32));
        PHANTOM_TRY(pop(tt->element));
        PHANTOM_TRY(pop(ValueType::i32));
      }
      if (live()) {
        emit(sub == fc_table_grow ? Op::table_grow : sub == fc_table_size ? Op::table_size : Op::table_fill);
        imm(x);
      }
      return ok_status();
    }
    default:
      return fail(Errc::corrupt, fmt::format("illegal opcode 0xfc {}", sub));
  }
}

}  // namespace

Result<CompiledFunction> compile_function(const Module& module, const ModuleInfo& info, std::span<const std::uint8_t> bytes,
                                          std::uint32_t defined_index) {
  FunctionCompiler compiler(module, info, bytes, defined_index);
  return compiler.run();
}

Result<CompiledModule> compile_module(const Module& module, std::span<const std::uint8_t> bytes) {
  CompiledModule out;
  PHANTOM_ASSIGN(out.info, validate_module(module));
  out.functions.reserve(module.codes.size());
  for (std::uint32_t i = 0; i < module.codes.size(); ++i) {
    PHANTOM_ASSIGN(CompiledFunction f, compile_function(module, out.info, bytes, i));
    out.functions.push_back(std::move(f));
  }
  return out;
}

}  // namespace phantom::wasm
