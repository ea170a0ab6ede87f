// Quickened code: host-side copies of method code in which common instruction sequences begin with a
// superinstruction (VM layer). The arena's code is never changed (rule 1: a world holds only the class
// files' bytes; rule 4: caches do not write into object pages).
//
// How it stays correct: a superinstruction replaces only the first opcode byte of the sequence it
// covers and has the sequence's total length, so every offset is unchanged. Frames, catchers,
// backtraces and snapshots see the same instruction pointers as without quickening, and a jump into
// the middle of a sequence lands on the original bytes. Handlers read only operand bytes, never the
// opcodes they cover, so sequences may overlap. Nothing is fused after a type prefix. A handler whose
// preconditions fail (a slot out of range, a full stack) runs the sequence's first instruction
// instead, which reports the error as before.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "vm/heap.h"
#include "vm/objects.h"

namespace phantom::vm {

class Vm;
struct NativeCall;
enum class NativeOutcome;
using Native = NativeOutcome (*)(Vm& vm, NativeCall& call);  // as in vm.h

// The arithmetic a superinstruction performs, by index: isum isublu imul iand ior ixor ilt igt ile ige
// iremlu idivlu. The first ten never fail; the last two are fused only with a constant other than 0
// and -1.
constexpr int arith_count = 12;
constexpr int arith_total = 10;       // those fused with two locals
constexpr int arith_compare_first = 6;  // ilt igt ile ige
int arith_index(std::uint8_t opcode);  // -1 when the opcode is none of these

enum QuickOp : std::uint8_t {
  q_local_local = 0xC0,      // + arith 0..9:  is_get32 A; is_get32 B; OP                    11 bytes
  q_const = 0xCA,            // + arith 0..11: iconst_32bit C; OP                             6 bytes
  q_local_const_set = 0xD6,  // + arith 0..2:  is_get32 A; iconst_32bit C; OP; is_set32 D     16 bytes
  q_local_const_jz = 0xD9,   // + compare 0..3: is_get32 A; iconst_32bit C; CMP; jz L         16 bytes
  q_compare_jz = 0xDD,       // + compare 0..3: CMP; jz L                                     6 bytes
  // The compiler's idioms around boxed ints (parameters and results are objects):
  q_object_const = 0xE1,     // + arith 0..11: os_get32 A; o2i; iconst_32bit C; OP            12 bytes
  q_object_const_jz = 0xED,  // + compare 0..3: os_get32 A; o2i; iconst_32bit C; CMP; jz L   17 bytes
  q_box_call = 0xF1,         // i2o; call_xx N (an int argument, then the call)              3 bytes
  q_box_ret = 0xF2,          // i2o; ret (an int result)                                      2 bytes
  q_unbox_set = 0xF3,        // o2i; is_set32 D (an int result stored in a local)             6 bytes
  // call_xx N with a call-site cache: the second byte is the site's index (CallSite below), which
  // holds the ordinal and N. Not used where the call would be a tail call (before os_drop; ret).
  q_call = 0xF4,                                                                            // 2 bytes
  q_end = 0xF5,
  // More, on byte values no class file may hold (the verifier rejects 0x78..0x9F):
  q_local_local_jz = 0x78,   // + compare 0..3: is_get32 A; is_get32 B; CMP; jz L            16 bytes
  q_const_set = 0x7C,        // + arith 0..11: iconst_32bit C; OP; is_set32 D                11 bytes
  q_jump_local_const_jz = 0x88,  // + compare 0..3: jmp L, where L starts a q_local_const_jz     5 bytes
  q_jump_local_local_jz = 0x8C,  // + compare 0..3: jmp L, where L starts a q_local_local_jz     5 bytes
  q_local_ret = 0x90,        // os_get32 A; ret (return a local)                               6 bytes
  q_arith_box_ret = 0x91,    // + arith 0..2: OP; i2o; ret (return a sum, difference, product)  3 bytes
  // + arith 0..2: summon_this; os_get32 A; o2i; iconst_32bit C; OP; i2o; call_xx N: a call of one of
  // this object's methods with a local plus, minus or times a constant (recursion)      16 bytes
  q_this_object_const_call = 0x94,
  // i2o; call_05 0; call_0a 1: string + int (the int's toString, then the string's concat), as one
  // string built at once when the receiver is a string                                   5 bytes
  q_box_tostring_concat = 0x97,
  // os_dup; os_isnull; log_not; jz L; summon_int_class; cast; L: o2i: the compiler's `(int) x`,
  // for a tagged int only                                                                 11 bytes
  q_cast_int = 0x98,
  // + arith 0..2: os_get32 A; o2i; iconst_32bit C; OP; i2o; ret: a method that returns an argument
  // plus, minus or times a constant, in one dispatch                                      14 bytes
  q_object_const_box_ret = 0x99,
  // os_get32 A; is_get32 B; i2o; call_xx N: a call on an object local with an int local as its
  // (last) argument, as `o.m(i)` compiles                                                   13 bytes
  q_object_int_call = 0x9C,
  // is_get32 B; i2o; call_xx N: a call with an int local as its (last) argument            8 bytes
  q_local_box_call = 0x9D,
  // is_get32 B; i2o; call_05 0; call_0a 1: string + an int local, as q_box_tostring_concat  10 bytes
  q_local_tostring_concat = 0x9E,
  q_spare_end = 0x9F,
};

// What a q_call site saw last: the receiver's class and the code it ran. A hit skips the method
// lookup, the native check and the callee's `arg_count` prologue. Only calls into bytecode methods
// whose prologue matches are cached. Every collection empties all sites (a dead class's Ref can be
// taken by a new class).
struct CallSite {
  Ref klass = raw_null;
  Ref callee = raw_null;
  const std::uint8_t* code = nullptr;  // the callee's quickened bytes, or null for a native callee
  Native native = nullptr;             // the native callee ([sys i; ret]), called without a frame
  std::uint8_t ordinal = 0;
  std::uint8_t nargs = 0;
};
constexpr std::size_t max_call_sites = 256;
// Site `index` of the quickened bytes `code` (the sites sit just below the bytes).
inline CallSite* call_site(const std::uint8_t* code, std::uint8_t index) {
  return reinterpret_cast<CallSite*>(const_cast<std::uint8_t*>(code)) - (std::size_t(index) + 1);
}

class QuickCode {
 public:
  // The quickened bytes of a code object (its length plus the sentinel byte).
  const std::uint8_t* code(Ref ref, const CodeData* data) {
    Slot& slot = cache_[(ref >> 2) & (cache_.size() - 1)];
    if (slot.key == ref) [[likely]] return slot.bytes;
    return fill(slot, ref, data);
  }
  // Drops the copies of code objects for which `dead` is true and empties every call site;
  // returns whether any copy was dropped.
  template <typename Dead>
  bool forget_if(Dead dead) {
    bool any = false;
    for (auto it = copies_.begin(); it != copies_.end();) {
      if (dead(it->first)) {
        it = copies_.erase(it);
        any = true;
      } else {
        it->second.forget_sites();
        ++it;
      }
    }
    if (any) cache_.fill(Slot{});
    return any;
  }
  void clear() {
    copies_.clear();
    cache_.fill(Slot{});
  }

 private:
  struct Slot {
    Ref key = raw_null;
    const std::uint8_t* bytes = nullptr;
  };
  // One allocation: the call sites, then the bytes.
  struct Copy {
    std::unique_ptr<std::byte[]> block;
    std::uint8_t* bytes = nullptr;
    std::uint32_t sites = 0;
    void forget_sites() {
      for (std::uint32_t i = 0; i < sites; ++i) {
        CallSite* site = call_site(bytes, static_cast<std::uint8_t>(i));
        site->klass = raw_null;
        site->code = nullptr;
      }
    }
  };
  const std::uint8_t* fill(Slot& slot, Ref ref, const CodeData* data);

  std::array<Slot, 1024> cache_{};
  std::unordered_map<Ref, Copy> copies_;
};

}  // namespace phantom::vm
