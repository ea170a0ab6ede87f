// Bytes as strings (VM layer): byte_natives.h.
#include "vm/byte_natives.h"

#include <fmt/format.h>

namespace phantom::vm {
namespace {

// 65.toByteString() is "A": a string of one byte holding the int, which must be 0..255 (anything
// else is a program mistake, thrown as a string, rather than silently cut to its low bits).
NativeOutcome int_to_byte_string(Vm& vm, NativeCall& call) {
  std::int32_t value = vm.int_of(call.self);
  if (value < 0 || value > 255)
    return vm.throw_string(call, fmt::format("int.toByteString: {} is not a byte (0..255)", value));
  char byte = static_cast<char>(static_cast<unsigned char>(value));
  return call.ret(vm.new_string(std::string_view(&byte, 1)));
}

}  // namespace

void add_byte_natives(Vm& vm) { vm.set_native(cid_int, 16, &int_to_byte_string); }

}  // namespace phantom::vm
