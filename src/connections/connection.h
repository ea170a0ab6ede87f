// A connection object as the arena holds it (connections layer): `.internal.connection`, a Kind::refs
// object of eight slots (vm/internal_classes.cc). Only Refs and tagged ints (design.md rule 1): the
// host side of a connection (an open file, an armed host timer) is a Link in the Hub, found by the
// object's Ref and re-made after every restore from what is stored here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "vm/vm.h"

namespace phantom::connections {

using vm::Ref;

enum ConnectionSlot : std::uint32_t {
  slot_name = 0,         // string: the full name, "fio:data/log.txt"
  slot_callback = 1,     // the object whose method receives callbacks, or null
  slot_method = 2,       // tagged int: the callback's method ordinal
  slot_owner = 3,        // the thread that connected
  slot_state = 4,        // binary: the backend's persistent state (a fixed struct per backend)
  slot_connected = 5,    // tagged int: 1 while connected (and on the restart list)
  slot_error = 6,        // string: the last error, for lastError(); null when none
  slot_spare = 7,
  connection_slots = 8,
};

// Phantom's error numbers (BSD values, subsystems.md §0).
enum PhantomErrno : int {
  p_ENOENT = 2, p_EIO = 5, p_ENXIO = 6, p_ENOMEM = 12, p_EACCES = 13, p_EBUSY = 16, p_EEXIST = 17,
  p_EINVAL = 22, p_ENOSPC = 28, p_ENOTCONN = 57, p_ENOSYS = 78,
};
int phantom_errno(Errc code);

// Typed access to one connection object's slots.
class ConnectionView {
 public:
  ConnectionView(vm::Vm& vm, Ref self) : vm_(vm), self_(self) {}
  Ref self() const { return self_; }
  // False for a connection object made by an older build (no slots): natives refuse it.
  bool well_formed() const { return vm_.heap().hdr(self_)->size >= connection_slots * sizeof(Ref); }
  Ref slot(ConnectionSlot s) const { return vm_.page_refs(self_)[s]; }
  void set_slot(ConnectionSlot s, Ref value) { vm_.set_page_ref(self_, s, value); }
  std::string name() const {
    Ref n = slot(slot_name);
    return vm_.is_a(n, vm::cid_string) ? std::string(vm_.string_of(n)) : std::string();
  }
  bool connected() const { return slot(slot_connected) == vm::tag_int(1); }
  // The backend's persistent state, a binary of sizeof(T) bytes; nullptr when absent or too small.
  template <typename T>
  T* state() const {
    Ref s = slot(slot_state);
    if (!vm_.is_a(s, vm::cid_binary) || vm_.heap().as<vm::BinaryData>(s)->length < sizeof(T)) return nullptr;
    return reinterpret_cast<T*>(vm_.heap().as<vm::BinaryData>(s)->bytes);
  }

 private:
  vm::Vm& vm_;
  Ref self_;
};

}  // namespace phantom::connections
