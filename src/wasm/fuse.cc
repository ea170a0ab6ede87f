// Fuse: superinstructions for compiled functions. See fuse.h.
//
// One pass over the ops, greedy from the left: at each op the longest run that starts there and
// matches a pattern becomes one op, otherwise the op is copied as it is. Branch targets are remapped
// at the end, since fusion moves every op after the first fused run.
#include "wasm/fuse.h"

#include <array>
#include <optional>

namespace phantom::wasm {
namespace {

enum class Kind : std::uint8_t {
  other, local_get, constant, local_set, local_tee, br_if, br_unless, eqz, binary, compare, load, store
};

// What fusion knows of an op: its kind and the superinstructions it becomes.
struct Fusable {
  Kind kind = Kind::other;
  Op rr = Op::count, rc = Op::count;  // binary, compare and store: operand b a cell or a constant (load: rr)
  Op br_rr = Op::count, br_rc = Op::count, brz_rr = Op::count, brz_rc = Op::count;  // compare, then branch
  Op add_rr = Op::count, add_rc = Op::count;  // load from an address that is an i32.add
};

constexpr std::array<Fusable, static_cast<std::size_t>(Op::count)> make_fusables() {
  std::array<Fusable, static_cast<std::size_t>(Op::count)> t{};
  auto at = [&t](Op op) -> Fusable& { return t[static_cast<std::size_t>(op)]; };
  at(Op::local_get).kind = Kind::local_get;
  at(Op::const_).kind = Kind::constant;
  at(Op::local_set).kind = Kind::local_set;
  at(Op::local_tee).kind = Kind::local_tee;
  at(Op::br_if).kind = Kind::br_if;
  at(Op::br_unless).kind = Kind::br_unless;
  at(Op::i32_eqz).kind = Kind::eqz;
#define BINARY(name, opcode, In, Out, expr) at(Op::name) = {Kind::binary, Op::name##_rr, Op::name##_rc};
#define COMPARE(name, opcode, In, Out, expr)                                                           \
  at(Op::name) = {Kind::compare, Op::name##_rr, Op::name##_rc, Op::name##_br_rr, Op::name##_br_rc, \
                  Op::name##_brz_rr, Op::name##_brz_rc};
#include "wasm/numeric_ops.def"
#define LOAD(name, T, Stored, Write)                                                                  \
  at(Op::name) = {Kind::load, Op::name##_r, Op::count, Op::count, Op::count, Op::count, Op::count, Op::name##_add_rr, \
                  Op::name##_add_rc};
#define STORE(name, Stored) at(Op::name) = {Kind::store, Op::name##_rr, Op::name##_rc};
#include "wasm/memory_ops.def"
  return t;
}
constexpr auto fusables = make_fusables();

// An operand of a superinstruction: a cell of the frame (by index from the frame's base) or a constant.
struct Operand {
  bool constant = false;
  std::uint64_t value = 0;
};

// A cell of the operand stack whose value is that of a local: the cell local.tee would have written,
// when the op before wrote the local only (see Fuser::run()).
struct Alias {
  std::uint64_t cell = UINT64_MAX, local = 0;
};

struct Fused {
  Op op = Op::count;
  std::array<std::uint64_t, 5> imms{};
  unsigned imm_count = 0;
  int target_imm = -1;  // which immediate is a branch target (a code index until the end of the pass)
  std::size_t length = 0;  // ops replaced
  std::uint32_t wasm_offset = 0;
  Alias tee;               // the run ended in local.tee: its stack cell is not written
  bool used_alias = false;  // an operand was read from the alias given to match()
};

class Fuser {
 public:
  Fuser(CompiledFunction& function, std::span<const std::uint32_t> heights)
      : f_(function), heights_(heights), n_(function.pcs.size()), target_op_(function.code.size() + 1),
        target_slot_(function.code.size()) {
    for (std::uint32_t slot : f_.target_slots) {
      target_slot_[slot] = true;
      target_op_[f_.code[slot].u64] = true;
    }
  }
  void run();

 private:
  Op op(std::size_t i) const { return static_cast<Op>(f_.code[f_.pcs[i].code_index].u64); }
  const Fusable& fusable(std::size_t i) const { return fusables[static_cast<std::size_t>(op(i))]; }
  Kind kind(std::size_t i) const { return fusable(i).kind; }
  std::uint64_t imm(std::size_t i, unsigned k) const { return f_.code[f_.pcs[i].code_index + 1 + k].u64; }
  // Whether op `i` can be the second or a later op of a run: it exists and no branch lands on it.
  bool joinable(std::size_t i) const { return i < n_ && !target_op_[f_.pcs[i].code_index]; }
  std::optional<Fused> match(std::size_t first, Alias alias) const;
  void copy(std::size_t i);
  void emit(const Fused& m, std::optional<std::uint32_t> old_index);

  CompiledFunction& f_;
  std::span<const std::uint32_t> heights_;
  std::size_t n_;
  std::vector<bool> target_op_;    // by code index: a branch lands here
  std::vector<bool> target_slot_;  // by code index: this immediate is a branch target
  std::vector<Slot> code_;
  std::vector<PcEntry> pcs_;
  std::vector<std::uint32_t> target_slots_;
  std::vector<std::uint32_t> new_index_;  // by old code index of an op: its new code index
};

std::optional<Fused> Fuser::match(std::size_t first, Alias alias) const {
  // The leading operands: up to two local.get or const ops, each pushing the cell at its height - 1.
  std::array<Operand, 2> pushed;
  std::array<std::uint32_t, 2> pushed_cell{};
  std::size_t np = 0, k = first;
  while (np < 2 && (k == first || joinable(k))) {
    if (kind(k) == Kind::local_get) pushed[np] = {false, imm(k, 0)};
    else if (kind(k) == Kind::constant) pushed[np] = {true, imm(k, 0)};
    else break;
    pushed_cell[np++] = heights_[k] - 1;
    ++k;
  }
  if (k != first && !joinable(k)) return std::nullopt;
  // The core op reads its operands from cells; the leading operands must be exactly some of them.
  unsigned used = 0;
  Fused out;
  auto source = [&](std::uint32_t cell) {
    for (std::size_t p = 0; p < np; ++p)
      if (pushed_cell[p] == cell) {
        used |= 1u << p;
        return pushed[p];
      }
    if (cell == alias.cell) {
      out.used_alias = true;
      return Operand{false, alias.local};
    }
    return Operand{false, cell};
  };
  auto all_used = [&] { return used == (1u << np) - 1; };
  const Fusable& core = fusable(k);
  const std::uint32_t h = heights_[k];
  std::size_t last = k;
  auto next_is = [&](Kind want) { return joinable(last + 1) && kind(last + 1) == want; };
  // The result goes to a local when local.set or local.tee follows, else to its stack cell.
  auto result_cell = [&](std::uint64_t stack_cell) -> std::uint64_t {
    if (next_is(Kind::local_set)) return imm(++last, 0);
    if (next_is(Kind::local_tee)) {
      out.tee = {stack_cell, imm(++last, 0)};
      return out.tee.local;
    }
    return stack_cell;
  };
  // Without leading operands, an alias read or a local written there is nothing to gain.
  auto worth_it = [&] { return np > 0 || out.used_alias || last != k; };
  out.wasm_offset = f_.pcs[first].wasm_offset;
  switch (core.kind) {
    case Kind::binary:
    case Kind::compare: {
      Operand a = source(h - 1), b = source(h);
      if (!all_used() || a.constant) return std::nullopt;
      if (core.kind == Kind::compare && (next_is(Kind::br_if) || next_is(Kind::br_unless))) {
        bool when_true = kind(++last) == Kind::br_if;
        out.op = b.constant ? (when_true ? core.br_rc : core.brz_rc) : (when_true ? core.br_rr : core.brz_rr);
        out.imms = {imm(last, 0), a.value, b.value, heights_[last], 0};
        out.target_imm = 0;
        break;
      }
      if (op(k) == Op::i32_add && next_is(Kind::load)) {  // an address computed for a load
        const Fusable& load = fusable(++last);
        std::uint64_t result = result_cell(heights_[last] - 1);
        out.op = b.constant ? load.add_rc : load.add_rr;
        out.imms = {result, a.value, b.value, imm(k + 1, 0), heights_[last]};
        out.wasm_offset = f_.pcs[k + 1].wasm_offset;
        break;
      }
      std::uint64_t result = result_cell(h - 1);
      if (!worth_it()) return std::nullopt;
      out.op = b.constant ? core.rc : core.rr;
      out.imms = {result, a.value, b.value, heights_[last], 0};
      break;
    }
    case Kind::load: {
      Operand address = source(h - 1);
      if (!all_used() || address.constant) return std::nullopt;
      std::uint64_t result = result_cell(h - 1);
      if (!worth_it()) return std::nullopt;
      out.op = core.rr;
      out.imms = {result, address.value, imm(k, 0), heights_[last], 0};
      out.wasm_offset = f_.pcs[k].wasm_offset;  // the op that can trap
      break;
    }
    case Kind::store: {
      Operand address = source(h), value = source(h + 1);
      if (!all_used() || address.constant || !worth_it()) return std::nullopt;
      out.op = value.constant ? core.rc : core.rr;
      out.imms = {address.value, value.value, imm(k, 0), h, 0};
      out.wasm_offset = f_.pcs[k].wasm_offset;
      break;
    }
    case Kind::local_set: {
      Operand value = source(h);
      if (np > 1 || !all_used() || !worth_it()) return std::nullopt;
      out.op = value.constant ? Op::const_r : Op::copy_r;
      out.imms = {imm(k, 0), value.value, h, 0, 0};
      break;
    }
    case Kind::br_if:
    case Kind::br_unless: {
      Operand condition = source(h);
      if (np > 1 || !all_used() || condition.constant || !worth_it()) return std::nullopt;
      out.op = core.kind == Kind::br_if ? Op::br_if_r : Op::br_unless_r;
      out.imms = {imm(k, 0), condition.value, h, 0, 0};
      out.target_imm = 0;
      break;
    }
    case Kind::eqz: {
      Operand a = source(h - 1);
      if (!all_used() || a.constant || !(next_is(Kind::br_if) || next_is(Kind::br_unless))) return std::nullopt;
      bool branch_if_zero = kind(++last) == Kind::br_if;
      out.op = branch_if_zero ? Op::br_unless_r : Op::br_if_r;
      out.imms = {imm(last, 0), a.value, heights_[last], 0, 0};
      out.target_imm = 0;
      break;
    }
    default:
      return std::nullopt;
  }
  out.imm_count = op_immediates(out.op);
  out.length = last - first + 1;
  return out;
}

void Fuser::copy(std::size_t i) {
  std::uint32_t start = f_.pcs[i].code_index;
  std::uint32_t end = i + 1 < n_ ? f_.pcs[i + 1].code_index : static_cast<std::uint32_t>(f_.code.size());
  new_index_[start] = static_cast<std::uint32_t>(code_.size());
  pcs_.push_back({static_cast<std::uint32_t>(code_.size()), f_.pcs[i].wasm_offset});
  for (std::uint32_t s = start; s < end; ++s) {
    if (target_slot_[s]) target_slots_.push_back(static_cast<std::uint32_t>(code_.size()));
    code_.push_back(f_.code[s]);
  }
}

void Fuser::emit(const Fused& m, std::optional<std::uint32_t> old_index) {
  if (old_index) new_index_[*old_index] = static_cast<std::uint32_t>(code_.size());
  pcs_.push_back({static_cast<std::uint32_t>(code_.size()), m.wasm_offset});
  Slot s;
  s.u64 = static_cast<std::uint64_t>(m.op);
  code_.push_back(s);
  for (unsigned k = 0; k < m.imm_count; ++k) {
    if (static_cast<int>(k) == m.target_imm) target_slots_.push_back(static_cast<std::uint32_t>(code_.size()));
    s.u64 = m.imms[k];
    code_.push_back(s);
  }
}

void Fuser::run() {
  new_index_.assign(f_.code.size() + 1, UINT32_MAX);
  code_.reserve(f_.code.size());
  Alias alias;  // left by the run just emitted when it ended in local.tee
  std::uint32_t alias_offset = 0;
  for (std::size_t i = 0; i < n_;) {
    std::optional<Fused> m;
    if (alias.cell == UINT64_MAX) {
      m = match(i, alias);
    } else {
      // The alias holds for the very next run only, and only if no branch lands before it (a branch
      // arriving there brings the value in the stack cell).
      if (joinable(i)) m = match(i, alias);
      if (!m || !m->used_alias) {
        // Nothing reads the tee's value from the local: write its stack cell after all, as
        // local.tee would have (the height already counts it), and look at the run again without
        // the alias.
        emit(Fused{Op::copy_r, {alias.cell, alias.local, alias.cell + 1}, 3, -1, 0, alias_offset}, std::nullopt);
        m = match(i, Alias{});
      }
      alias = {};
    }
    if (!m) {
      copy(i++);
      continue;
    }
    emit(*m, f_.pcs[i].code_index);
    if (m->tee.cell != UINT64_MAX) {
      alias = m->tee;
      alias_offset = f_.pcs[i + m->length - 1].wasm_offset;
    }
    i += m->length;
  }
  // The last op is return_, which never fuses, so no alias is left over here.
  // Targets land only on the first op of a run (that is what joinable() checks), which has a new index.
  for (std::uint32_t slot : target_slots_) code_[slot].u64 = new_index_[code_[slot].u64];
  f_.code = std::move(code_);
  f_.pcs = std::move(pcs_);
  f_.target_slots = std::move(target_slots_);
}

}  // namespace

void fuse(CompiledFunction& function, std::span<const std::uint32_t> heights) {
  Fuser fuser(function, heights);
  fuser.run();
}

}  // namespace phantom::wasm
