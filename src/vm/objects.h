// Objects: the data-area layouts of the internal classes, the internal class table ids and the root
// object's slots (VM layer). Everything here lives in the arena, so it holds Refs and plain numbers
// only (design.md rule 1). Layout changes bump world_layout_version (heap.h).
#pragma once

#include <cstdint>

#include "vm/heap.h"

namespace phantom::vm {

// Internal class ids = sys_table_id = index in the native table (pvm.md §4.1), plus weakref (ours).
enum ClassId : std::int32_t {
  cid_void = 0, cid_class, cid_interface, cid_code, cid_int, cid_long, cid_string, cid_array, cid_page,
  cid_thread, cid_call_frame, cid_istack, cid_ostack, cid_estack, cid_boot, cid_tty, cid_mutex, cid_cond,
  cid_sema, cid_binary, cid_bitmap, cid_closure, cid_world, cid_udp, cid_tcp, cid_window, cid_directory,
  cid_connection, cid_float, cid_double, cid_net, cid_http, cid_time, cid_stat, cid_io, cid_port,
  cid_ui_control, cid_ui_font, cid_wasm, cid_weakref,
  cid_count
};

// Root object slots (pvm.md §3.8).
enum RootSlot : std::uint32_t {
  root_class_loader = 18,
  root_null_object = 64,
  root_sys_interface = 65,
  root_thread_list = 66,
  root_users = 67,
  root_restart_list = 68,
  root_kernel_environment = 69,
  root_os_entry = 70,
  root_directory = 71,
  root_statistics = 72,
  root_class_cache = 73,
  root_bootstrap = 74,      // ours: the bootstrap object, kept so restarts reuse it
  root_class_path = 75,     // ours: the class path given at first boot (array of strings)
  root_out_of_memory = 76,  // ours: the string thrown when the heap is exhausted
  root_small_ints = 77,     // ours, unused since tagged ints (held shared boxed ints; cleared on attach)
  root_outbox = 78,         // ours: output waiting for the commit that makes it true (connections/outbox.h)
  root_output_state = 79,   // ours: a binary with the output sequence counter (connections/outbox.h)
  root_windows = 80,        // ours: the desktop's windows, bottom first (ui/window_object.h)
  root_slots = 103,
};

struct ClassData {
  std::uint32_t instance_flags;
  std::uint32_t instance_size;  // bytes of an instance's data area
  std::int32_t sys_table_id;    // internal class id, or -1 for a loaded class
  std::uint32_t method_slots;
  std::uint32_t object_slots;
  Ref method_table;             // interface object: method_slots refs to code objects
  Ref name;                     // string
  Ref parent;                   // class; raw null for the root class
  Ref static_vars;              // array
  Ref method_names;             // page: ordinal -> string
  Ref field_names;              // page: field ordinal -> string
  Ref const_pool;               // page: id -> string
  Ref source;                   // string: where the class was loaded from
};
constexpr std::uint32_t class_ref_fields_begin = 5;  // index (in 4-byte words) of method_table
constexpr std::uint32_t class_ref_fields = 8;

struct CodeData {
  Ref owner;             // the class whose M record supplied the code (const_pool, backtraces)
  Ref name;              // method name string
  Ref lines;             // binary of LinePair sorted by ip, or raw null
  std::uint32_t ordinal;
  std::uint32_t length;  // code bytes; one sentinel byte 0xFF follows them
  std::uint8_t bytes[];
};
struct LinePair {
  std::uint32_t ip;
  std::uint32_t line;
};
constexpr std::uint8_t end_of_code = 0xFF;  // never a valid opcode: running into it ends the method

struct StringData {
  std::uint32_t length;
  char bytes[];
};
using BinaryData = StringData;

struct ArrayData {
  std::uint32_t count;
  Ref page;  // page object; its size / 4 is the capacity
};

struct DirectoryData {
  std::uint32_t count;
  std::uint32_t used;    // live entries plus tombstones
  Ref table;             // page of 2 x capacity refs: key string, value
};

enum class ThreadState : std::uint32_t {
  runnable = 0, sleeping, wait_mutex, wait_cond, wait_sema, wait_input, held, finished,
  wait_connection,  // in a blocking connection call; it runs the call again when the host has an answer
};

struct Frame {
  Ref code;
  Ref self;
  std::uint32_t ip;        // of the next instruction (of the current one while the frame is stopped in it)
  std::uint32_t os_base;   // first OS cell of this frame
  std::uint32_t ret_slot;  // caller OS cell that receives the return value
  std::uint32_t is_base;
  std::uint32_t es_base;
  std::uint32_t flags;
};

struct Catcher {
  Ref klass;
  std::uint32_t target;
};

struct ThreadData {
  ThreadState state;
  std::uint32_t id;
  Ref frames;   // bytes object of Frame records
  Ref os;       // bytes object of Ref cells
  Ref is;       // bytes object of int32 cells
  Ref es;       // bytes object of Catcher records
  Ref waiting_on;   // mutex, cond or sema the thread waits for
  Ref granted;      // a mutex handed to this thread while it waited
  Ref owner;
  Ref environment;
  Ref result;       // the value of a finished thread, or its uncaught exception
  Ref name;         // string, for diagnostics
  std::uint32_t frame_count, os_top, is_top, es_top;
  std::uint32_t thread_flags;
  std::uint32_t wait_phase;
  std::int64_t wake_ns;  // wall clock (survives restarts), while sleeping or in a timed wait
};
constexpr std::uint32_t thread_ref_fields = 10;  // frames .. name, in order
// thread_quarantined: set by crash-loop recovery (docs/faults.md); the scheduler passes the thread over,
// whatever its state, until release_quarantined() clears it. Stored in the world, so it lasts across restarts.
enum ThreadFlag : std::uint32_t { thread_boot = 1, thread_nested = 2, thread_uncaught = 4, thread_quarantined = 8 };

struct MutexData {  // also cond (owner unused) and sema (count)
  Ref owner;
  Ref waiters;  // array of threads, most recent last
  std::int32_t count;
};

struct WeakrefData {
  Ref target;
};

struct ClosureData {
  Ref object;
  std::int32_t ordinal;
};

}  // namespace phantom::vm
