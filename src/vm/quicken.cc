// Quickened code: building the host copies (VM layer; see quicken.h for why it is safe).
#include "vm/quicken.h"

#include <cstring>
#include <new>
#include <span>
#include <vector>

#include "classfile/bytecode.h"
#include "classfile/opcodes.h"

namespace phantom::vm {

using namespace classfile;

int arith_index(std::uint8_t opcode) {
  switch (opcode) {
    case op_isum: return 0;
    case op_isublu: return 1;
    case op_imul: return 2;
    case op_iand: return 3;
    case op_ior: return 4;
    case op_ixor: return 5;
    case op_ilt: return 6;
    case op_igt: return 7;
    case op_ile: return 8;
    case op_ige: return 9;
    case op_iremlu: return 10;
    case op_idivlu: return 11;
    default: return -1;
  }
}

namespace {

void quicken(std::uint8_t* bytes, const std::vector<Instruction>& ins) {
  auto op = [&](std::size_t k) -> int { return k < ins.size() ? ins[k].opcode : -1; };
  for (std::size_t i = 0; i < ins.size(); ++i) {
    if (is_prefix(ins[i].opcode) || (i > 0 && is_prefix(ins[i - 1].opcode))) continue;
    std::uint8_t* at = bytes + ins[i].offset;
    int a2 = op(i + 2) >= 0 ? arith_index(static_cast<std::uint8_t>(op(i + 2))) : -1;
    if (op(i) == op_is_get32 && op(i + 1) == op_iconst_32bit) {
      if (a2 >= arith_compare_first && a2 < arith_total && op(i + 3) == op_jz) {
        *at = static_cast<std::uint8_t>(q_local_const_jz + (a2 - arith_compare_first));
        continue;
      }
      if (a2 >= 0 && a2 <= 2 && op(i + 3) == op_is_set32) {
        *at = static_cast<std::uint8_t>(q_local_const_set + a2);
        continue;
      }
    }
    if (op(i) == op_is_get32 && op(i + 1) == op_is_get32 && a2 >= arith_compare_first && a2 < arith_total &&
        op(i + 3) == op_jz) {
      *at = static_cast<std::uint8_t>(q_local_local_jz + (a2 - arith_compare_first));
      continue;
    }
    if (op(i) == op_is_get32 && op(i + 1) == op_is_get32 && a2 >= 0 && a2 < arith_total) {
      *at = static_cast<std::uint8_t>(q_local_local + a2);
      continue;
    }
    if (op(i) == op_summon_this && op(i + 1) == op_os_get32 && op(i + 2) == op_o2i && op(i + 3) == op_iconst_32bit &&
        op(i + 5) == op_i2o && op(i + 6) >= op_call_00 && op(i + 6) <= op_call_1f) {
      int a4 = arith_index(static_cast<std::uint8_t>(op(i + 4)));
      if (a4 >= 0 && a4 <= 2) {
        *at = static_cast<std::uint8_t>(q_this_object_const_call + a4);
        continue;
      }
    }
    if (op(i) == op_is_get32 && op(i + 1) == op_i2o && op(i + 2) == op_call_00 + 5 && bytes[ins[i + 2].offset + 1] == 0 &&
        op(i + 3) == op_call_00 + 10 && bytes[ins[i + 3].offset + 1] == 1) {
      *at = q_local_tostring_concat;
      continue;
    }
    if (op(i) == op_is_get32 && op(i + 1) == op_i2o && op(i + 2) >= op_call_00 && op(i + 2) <= op_call_1f) {
      *at = q_local_box_call;
      continue;
    }
    if (op(i) == op_os_get32 && op(i + 1) == op_is_get32 && op(i + 2) == op_i2o && op(i + 3) >= op_call_00 &&
        op(i + 3) <= op_call_1f) {
      *at = q_object_int_call;
      continue;
    }
    if (op(i) == op_os_get32 && op(i + 1) == op_o2i && op(i + 2) == op_iconst_32bit) {
      int a3 = op(i + 3) >= 0 ? arith_index(static_cast<std::uint8_t>(op(i + 3))) : -1;
      if (a3 >= 0 && a3 <= 2 && op(i + 4) == op_i2o && op(i + 5) == op_ret) {
        *at = static_cast<std::uint8_t>(q_object_const_box_ret + a3);
        continue;
      }
      if (a3 >= arith_compare_first && a3 < arith_total && op(i + 4) == op_jz) {
        *at = static_cast<std::uint8_t>(q_object_const_jz + (a3 - arith_compare_first));
        continue;
      }
      std::int64_t c = ins[i + 2].a;
      if (a3 >= 0 && (a3 < arith_total || (c != 0 && c != -1))) {
        *at = static_cast<std::uint8_t>(q_object_const + a3);
        continue;
      }
    }
    if (op(i) == op_os_dup && op(i + 1) == op_os_isnull && op(i + 2) == op_log_not && op(i + 3) == op_jz &&
        op(i + 4) == op_summon_int_class && op(i + 5) == op_cast && op(i + 6) == op_o2i &&
        ins[i + 3].targets.size() == 1 && ins[i + 3].targets[0] == ins[i + 6].offset) {
      *at = q_cast_int;
      continue;
    }
    if (op(i) == op_os_get32 && op(i + 1) == op_ret) {
      *at = q_local_ret;
      continue;
    }
    if (int a = arith_index(ins[i].opcode); a >= 0 && a <= 2 && op(i + 1) == op_i2o && op(i + 2) == op_ret) {
      *at = static_cast<std::uint8_t>(q_arith_box_ret + a);
      continue;
    }
    if (op(i) == op_i2o && op(i + 1) == op_call_00 + 5 && bytes[ins[i + 1].offset + 1] == 0 &&
        op(i + 2) == op_call_00 + 10 && bytes[ins[i + 2].offset + 1] == 1) {
      *at = q_box_tostring_concat;
      continue;
    }
    if (op(i) == op_i2o && op(i + 1) >= op_call_00 && op(i + 1) <= op_call_1f) {
      *at = q_box_call;
      continue;
    }
    if (op(i) == op_i2o && op(i + 1) == op_ret) {
      *at = q_box_ret;
      continue;
    }
    if (op(i) == op_o2i && op(i + 1) == op_is_set32) {
      *at = q_unbox_set;
      continue;
    }
    int a1 = op(i + 1) >= 0 ? arith_index(static_cast<std::uint8_t>(op(i + 1))) : -1;
    if (op(i) == op_iconst_32bit && a1 >= 0) {
      std::int64_t c = ins[i].a;
      if (a1 < arith_total || (c != 0 && c != -1))
        *at = static_cast<std::uint8_t>((op(i + 2) == op_is_set32 ? q_const_set : q_const) + a1);
      continue;
    }
    int a0 = arith_index(ins[i].opcode);
    if (a0 >= arith_compare_first && a0 < arith_total && op(i + 1) == op_jz)
      *at = static_cast<std::uint8_t>(q_compare_jz + (a0 - arith_compare_first));
  }
}

// A jmp whose target is a fused loop condition evaluates the condition itself (one dispatch less per
// iteration of a while loop). Runs after quicken(), which decided what the target starts with.
void quicken_jumps(std::uint8_t* bytes, std::uint32_t length, const std::vector<Instruction>& ins) {
  for (const Instruction& in : ins) {
    if (in.opcode != op_jmp || in.targets.empty() || in.targets[0] >= length) continue;
    std::uint8_t target = bytes[in.targets[0]];
    if (target >= q_local_const_jz && target < q_local_const_jz + 4)
      bytes[in.offset] = static_cast<std::uint8_t>(q_jump_local_const_jz + (target - q_local_const_jz));
    else if (target >= q_local_local_jz && target < q_local_local_jz + 4)
      bytes[in.offset] = static_cast<std::uint8_t>(q_jump_local_local_jz + (target - q_local_local_jz));
  }
}

// The calls that get a site: call_xx, not after a prefix, not in tail position (os_drop; ret follow,
// which the interpreter runs as a tail call), at most max_call_sites of them.
std::vector<std::size_t> cached_calls(const std::vector<Instruction>& ins) {
  std::vector<std::size_t> calls;
  for (std::size_t i = 0; i < ins.size() && calls.size() < max_call_sites; ++i) {
    if (ins[i].opcode < op_call_00 || ins[i].opcode > op_call_1f || (i > 0 && is_prefix(ins[i - 1].opcode))) continue;
    if (i + 2 < ins.size() && ins[i + 1].opcode == op_os_drop && ins[i + 2].opcode == op_ret) continue;
    calls.push_back(i);
  }
  return calls;
}

}  // namespace

const std::uint8_t* QuickCode::fill(Slot& slot, Ref ref, const CodeData* data) {
  auto found = copies_.find(ref);
  if (found == copies_.end()) {
    // The code passed the verifier when its class was loaded; should decoding fail now, the copy
    // simply stays unquickened.
    auto decoded = decode_code(std::span<const std::uint8_t>(data->bytes, data->length), "quickening");
    std::vector<std::size_t> calls;
    if (decoded.ok()) calls = cached_calls(*decoded);
    Copy copy;
    copy.sites = static_cast<std::uint32_t>(calls.size());
    std::size_t site_bytes = calls.size() * sizeof(CallSite);
    copy.block = std::make_unique<std::byte[]>(site_bytes + data->length + 1);
    copy.bytes = reinterpret_cast<std::uint8_t*>(copy.block.get() + site_bytes);
    std::memcpy(copy.bytes, data->bytes, std::size_t(data->length) + 1);  // with the sentinel
    if (decoded.ok()) {
      quicken(copy.bytes, *decoded);
      quicken_jumps(copy.bytes, data->length, *decoded);
      for (std::size_t k = 0; k < calls.size(); ++k) {
        const Instruction& call = (*decoded)[calls[k]];
        auto index = static_cast<std::uint8_t>(k);
        CallSite* site = new (call_site(copy.bytes, index)) CallSite{};
        site->ordinal = static_cast<std::uint8_t>(call.opcode - op_call_00);
        site->nargs = copy.bytes[call.offset + 1];
        copy.bytes[call.offset] = q_call;
        copy.bytes[call.offset + 1] = index;
      }
    }
    found = copies_.emplace(ref, std::move(copy)).first;
  }
  slot.key = ref;
  slot.bytes = found->second.bytes;
  return slot.bytes;
}

}  // namespace phantom::vm
