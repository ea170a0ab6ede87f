// Emitter: appends PVM instructions to a method's code and resolves jump labels (compiler layer).
// Encodings follow spec/language.md §4.2: big-endian operands, a jump's rel32 counted from the operand
// itself, calls in their shortest form.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "classfile/opcodes.h"

namespace phantom::plc {

class Emitter {
 public:
  using Label = std::size_t;

  std::size_t pos() const { return code_.size(); }
  void op(std::uint8_t byte) { code_.push_back(byte); }
  void u8(std::uint8_t byte) { code_.push_back(byte); }
  void i32(std::int32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) code_.push_back(static_cast<std::uint8_t>(static_cast<std::uint32_t>(v) >> shift));
  }
  void i64(std::int64_t v) {
    i32(static_cast<std::int32_t>(static_cast<std::uint64_t>(v) >> 32));
    i32(static_cast<std::int32_t>(v));
  }
  void op_i32(std::uint8_t byte, std::int32_t v) {
    op(byte);
    i32(v);
  }
  void prefixed(std::uint8_t prefix, std::uint8_t byte) {
    if (prefix) op(prefix);
    op(byte);
  }
  void bytes(const std::string& data) {
    i32(static_cast<std::int32_t>(data.size()));
    code_.insert(code_.end(), data.begin(), data.end());
  }

  Label new_label() {
    labels_.push_back(-1);
    return labels_.size() - 1;
  }
  void place(Label label) { labels_[label] = static_cast<std::int64_t>(code_.size()); }
  void jump(std::uint8_t byte, Label label) {  // jz, jmp, push_catcher
    op(byte);
    fixups_.emplace_back(code_.size(), label);
    i32(0);
  }

  // A virtual call of `ordinal` with `n` arguments, in the encoding the original compiler chooses.
  void call(std::int32_t ordinal, std::int32_t n) {
    if (n == 0 && ordinal >= 0 && ordinal <= 3) return op(static_cast<std::uint8_t>(classfile::op_short_call_0 + ordinal));
    if (n >= 0 && n <= 15 && ordinal >= 0 && ordinal <= 31) {
      op(static_cast<std::uint8_t>(classfile::op_call_00 + ordinal));
      return u8(static_cast<std::uint8_t>(n));
    }
    if (ordinal >= 0 && ordinal <= 15) {
      op(classfile::op_call_8bit);
      u8(static_cast<std::uint8_t>(ordinal));
      return i32(n);
    }
    op(classfile::op_call_32bit);
    i32(ordinal);
    i32(n);
  }

  // Resolves every jump; false if a label was never placed (a compiler bug, reported by the caller).
  bool finish() {
    for (auto [at, label] : fixups_) {
      if (labels_[label] < 0) return false;
      std::int32_t rel = static_cast<std::int32_t>(labels_[label] - static_cast<std::int64_t>(at));
      for (int k = 0; k < 4; ++k) code_[at + k] = static_cast<std::uint8_t>(static_cast<std::uint32_t>(rel) >> (24 - 8 * k));
    }
    fixups_.clear();
    return true;
  }
  std::vector<std::uint8_t>& code() { return code_; }

 private:
  std::vector<std::uint8_t> code_;
  std::vector<std::int64_t> labels_;
  std::vector<std::pair<std::size_t, Label>> fixups_;
};

}  // namespace phantom::plc
