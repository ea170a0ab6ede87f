// Bytes as strings: `.internal.int.toByteString` [16] (VM layer, our extension to pvm.md §4.3.1).
// Strings are byte strings, but the language has no escape for an arbitrary byte; binary protocols
// written in Phantom (MQTT, plib/phantom/phantom.net.mqtt_client.ph) build their packets from these
// one-byte strings, and read them back with string.charAt.
#pragma once

#include "vm/vm.h"

namespace phantom::vm {

// Installs the natives of this file into `vm` (called by Vm::build_natives).
void add_byte_natives(Vm& vm);

}  // namespace phantom::vm
